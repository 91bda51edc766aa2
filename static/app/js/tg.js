// Telegram WebApp glue: theme → CSS variables, BackButton, MainButton, haptics, share. Outside Telegram
// (plain browser) every helper degrades to an in-page equivalent.
const W = window.Telegram && window.Telegram.WebApp;
export const inTelegram = Boolean(W && W.initData);
export const webApp = W || null;

const THEME_VARS = {
  bg_color: '--bg', text_color: '--text', hint_color: '--hint', link_color: '--link',
  button_color: '--btn', button_text_color: '--btn-text', secondary_bg_color: '--bg2',
  section_bg_color: '--section', destructive_text_color: '--danger', accent_text_color: '--accent',
  subtitle_text_color: '--subtitle', section_header_text_color: '--section-header',
};

export function applyTheme() {
  const root = document.documentElement;
  const dark = inTelegram ? W.colorScheme === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  root.dataset.theme = dark ? 'dark' : 'light';
  const params = (inTelegram && W.themeParams) || {};
  for (const [key, name] of Object.entries(THEME_VARS)) {
    if (params[key]) root.style.setProperty(name, params[key]);
    else root.style.removeProperty(name);
  }
}

export function initTelegram() {
  applyTheme();
  if (!inTelegram) {
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
    return;
  }
  W.onEvent('themeChanged', applyTheme);
  W.ready();
  W.expand();
}

export function telegramUser() {
  return (inTelegram && W.initDataUnsafe && W.initDataUnsafe.user) || null;
}

export function startParam() {
  const fromTelegram = inTelegram && W.initDataUnsafe && W.initDataUnsafe.start_param;
  return fromTelegram || new URLSearchParams(location.search).get('startapp') || '';
}

let backHandler = null;
function onBack() { if (backHandler) backHandler(); }
export function setBack(handler) {
  backHandler = handler;
  if (!inTelegram) return;
  W.BackButton.offClick(onBack);
  if (handler) { W.BackButton.onClick(onBack); W.BackButton.show(); } else W.BackButton.hide();
}

let mainHandler = null;
function onMain() { if (mainHandler) mainHandler(); }
// In Telegram the form's submit moves to the MainButton (the in-page button is hidden by CSS).
export function setMain(text, handler) {
  mainHandler = handler;
  if (!inTelegram) return;
  W.MainButton.offClick(onMain);
  if (handler) {
    W.MainButton.setText(text);
    W.MainButton.onClick(onMain);
    W.MainButton.enable();
    W.MainButton.show();
  } else {
    W.MainButton.hide();
  }
}
export function mainProgress(busy) {
  if (!inTelegram) return;
  if (busy) W.MainButton.showProgress(false); else W.MainButton.hideProgress();
}

export function haptic(kind) {
  if (!inTelegram || !W.HapticFeedback) return;
  try {
    if (kind === 'success' || kind === 'error' || kind === 'warning') W.HapticFeedback.notificationOccurred(kind);
    else W.HapticFeedback.impactOccurred(kind || 'light');
  } catch (e) { /* older clients */ }
}

export function confirmDialog(text) {
  if (inTelegram && W.isVersionAtLeast && W.isVersionAtLeast('6.2')) {
    return new Promise((resolve) => W.showConfirm(text, resolve));
  }
  return Promise.resolve(window.confirm(text));
}

// Telegram's share sheet for a link; a plain browser gets the Web Share API or the clipboard.
export async function shareLink(url, text) {
  if (inTelegram) {
    W.openTelegramLink('https://t.me/share/url?url=' + encodeURIComponent(url) + '&text=' + encodeURIComponent(text));
    return 'shared';
  }
  if (navigator.share) {
    try { await navigator.share({ url, text }); return 'shared'; } catch (e) { /* cancelled: fall through */ }
  }
  try { await navigator.clipboard.writeText(url); return 'copied'; } catch (e) { return 'failed'; }
}

export function openLink(url) {
  if (inTelegram) W.openLink(url); else window.open(url, '_blank', 'noopener');
}
