// The session room (filled in below).
export function room(main: HTMLElement): void {
  main.textContent = "Session room";
}
