// The look of every console page, remembered in this browser (localStorage) so that the Sessions,
// Mailboxes, FTP and News tabs agree: "Larger text" for a projector at the back of a classroom,
// and "Colours" (auto: follow the system's light or dark setting; or always light; or always dark).
// Each page's header has the two buttons, #large-type and #theme.

const LARGE = "console-large-text";
const THEME = "console-theme";
const THEMES = ["auto", "light", "dark"];

export function setUpLook() {
  const root = document.documentElement;
  const large = document.getElementById("large-type");
  const theme = document.getElementById("theme");

  const applyLarge = (on) => {
    root.classList.toggle("large-text", on);
    large?.setAttribute("aria-pressed", String(on));
  };
  applyLarge(localStorage.getItem(LARGE) === "1");
  large?.addEventListener("click", () => {
    const on = !root.classList.contains("large-text");
    localStorage.setItem(LARGE, on ? "1" : "0");
    applyLarge(on);
  });

  // data-theme on <html> wins over the system's setting (console.css); no data-theme: auto.
  const applyTheme = (name) => {
    if (name === "auto") delete root.dataset.theme;
    else root.dataset.theme = name;
    if (!theme) return;
    theme.textContent = `Colours: ${name}`;
    theme.title = name === "auto" ? "Colours follow the system's light or dark setting" : `Colours: always ${name}`;
  };
  applyTheme(THEMES.includes(localStorage.getItem(THEME)) ? localStorage.getItem(THEME) : "auto");
  theme?.addEventListener("click", () => {
    const next = THEMES[(THEMES.indexOf(root.dataset.theme ?? "auto") + 1) % THEMES.length];
    localStorage.setItem(THEME, next);
    applyTheme(next);
  });
}
