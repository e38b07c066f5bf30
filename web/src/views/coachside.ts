// The coach dashboard (filled in below).
export function coachHome(main: HTMLElement): void {
  main.textContent = "Coach dashboard";
}
