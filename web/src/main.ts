// Entry point: the navigation bar and the client routes.

import "./style.css";
import { me, onAuthChange, restore, signOut } from "./api";
import { fill, h } from "./dom";
import { focusHeading, navigate, route, start, type View } from "./router";
import { admin } from "./views/admin";
import { login, register } from "./views/auth";
import { forgotPassword, resetPassword, verifyEmail } from "./views/recovery";
import { bookingFlow } from "./views/booking";
import { coachProfile } from "./views/coach";
import { coachHome } from "./views/coachside";
import { directory } from "./views/directory";
import { favourites } from "./views/favourites";
import { followNotifications, notifications, onUnreadChange, unreadCount } from "./views/notifications";
import { room } from "./views/room";
import { sessions } from "./views/sessions";
import { twoFactorSetup } from "./views/twofactor";

function nav(): void {
  const user = me();
  const links: HTMLElement[] = [h("a", { href: "/" }, "Find a coach")];
  if (user) {
    links.push(h("a", { href: "/sessions" }, user.role === "coach" ? "Sessions" : "My sessions"));
    if (user.role === "client") links.push(h("a", { href: "/favourites" }, "Saved coaches"));
    if (user.role === "coach") links.push(h("a", { href: "/coach" }, "Coach dashboard"));
    if (user.role === "admin") links.push(h("a", { href: "/admin" }, "Admin"));
    const count = unreadCount();
    links.push(
      h(
        "a",
        { href: "/notifications", class: "notifications-link" },
        "Notifications",
        count ? h("span", { class: "count" }, ` ${count}`) : "",
        count ? h("span", { class: "visually-hidden" }, " unread") : "",
      ),
    );
    const out = h("button", { type: "button", class: "link" }, "Log out");
    out.addEventListener("click", () => {
      void signOut().then(() => navigate("/"));
    });
    links.push(h("span", { class: "who" }, user.display_name), out);
  } else {
    links.push(h("a", { href: "/login" }, "Log in"), h("a", { href: "/register" }, "Sign up"));
  }
  const container = document.getElementById("nav");
  if (container) fill(container, h("ul", {}, links.map((link) => h("li", {}, link))));
}

/** Views that need a login send the visitor to log in and back. */
function signedIn(view: View, role?: "client" | "coach" | "admin"): View {
  return (main, params, query) => {
    const user = me();
    if (!user) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
      return;
    }
    if (role && user.role !== role) {
      main.append(h("h1", {}, "Not for this account"), h("p", {}, `This page is for ${role}s.`));
      focusHeading(main);
      return;
    }
    return view(main, params, query);
  };
}

route(/^\/$/, directory);
route(/^\/login$/, login);
route(/^\/register$/, register);
route(/^\/verify-email$/, verifyEmail);
route(/^\/forgot-password$/, forgotPassword);
route(/^\/reset-password$/, resetPassword);
route(/^\/coaches\/([0-9a-f-]{36})$/, coachProfile);
route(/^\/book\/([0-9a-f-]{36})$/, signedIn(bookingFlow, "client"));
route(/^\/sessions$/, signedIn(sessions));
route(/^\/favourites$/, signedIn(favourites, "client"));
route(/^\/sessions\/([0-9a-f-]{36})$/, signedIn(room));
route(/^\/coach$/, signedIn(coachHome, "coach"));
route(/^\/admin$/, signedIn(admin, "admin"));
route(/^\/two-factor$/, signedIn(twoFactorSetup));
route(/^\/notifications$/, signedIn(notifications));

onAuthChange(nav);
onAuthChange(followNotifications);
onUnreadChange(nav);
nav();
const main = document.getElementById("main");
// A login from another tab, a reload or an emailed link: the refresh cookie signs in first.
void restore().finally(() => {
  followNotifications();
  if (main) start(main);
});
