// Light and dark: the system's choice unless the toggle (remembered) or an embed's `theme`
// chose one. `data-theme` on the themed element selects it in style.css.

const KEY = "streamlab.theme";

/** Whether `el` shows dark now. */
const isDark = (el) => (el.dataset.theme ? el.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches);

/** Shows `theme` ("light", "dark", or null for the system's) on `el`. */
export function applyTheme(el, theme, toggle = null) {
  if (theme) el.dataset.theme = theme;
  else delete el.dataset.theme;
  if (toggle) {
    const dark = isDark(el);
    toggle.setAttribute("aria-label", dark ? "Switch to light theme" : "Switch to dark theme");
    toggle.setAttribute("aria-pressed", String(dark));
  }
}

/** The page's theme: the one saved, and `toggle` switching (and saving) it. */
export function initTheme(el, toggle) {
  let saved = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch { /* storage may be off */ }
  applyTheme(el, saved, toggle);
  toggle.addEventListener("click", () => {
    const next = isDark(el) ? "light" : "dark";
    applyTheme(el, next, toggle);
    try {
      localStorage.setItem(KEY, next);
    } catch { /* storage may be off */ }
  });
}
