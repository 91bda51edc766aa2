// Strings come from Django's catalogs (rendered into the page as JSON); the language from Telegram's user.
const catalogs = JSON.parse(document.getElementById('tc-i18n').textContent);
export let lang = 'en';
let zone = 'Europe/Moscow';

export function setLang(code) {
  const c = (code || '').toLowerCase();
  lang = c.startsWith('ru') || c.startsWith('uk') || c.startsWith('be') || c.startsWith('kk') ? 'ru' : 'en';
  document.documentElement.lang = lang;
}
export function setZone(tz) { if (tz) zone = tz; }
export function getZone() { return zone; }

export function t(key, params) {
  let s = (catalogs[lang] && catalogs[lang][key]) || catalogs.en[key] || key;
  if (params) s = s.replace(/\{(\w+)\}/g, (_, k) => (params[k] === undefined ? '' : String(params[k])));
  return s;
}

function locale() { return lang === 'ru' ? 'ru-RU' : 'en-GB'; }
const cache = new Map();
function fmt(opts) {
  const key = lang + zone + JSON.stringify(opts);
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(locale(), { timeZone: zone, ...opts }));
  return cache.get(key);
}
export const fmtTime = (iso) => fmt({ hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
export const fmtDay = (iso) => fmt({ weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(iso));
export const fmtDayLong = (iso) => fmt({ weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(iso));
export const fmtWhen = (iso) => fmtDay(iso) + ', ' + fmtTime(iso);
export const fmtDate = (iso) => fmt({ day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
export function money(rub) { return new Intl.NumberFormat(locale()).format(rub || 0) + ' ₽'; }

// Wall-clock parts of an instant in the user's zone: {date: 'YYYY-MM-DD', time: 'HH:MM', weekday: 0..6 (Sun=0)}.
export function localParts(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      weekday: 'short', hourCycle: 'h23',
    }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]),
  );
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday);
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, weekday };
}
export function today() { return localParts(new Date().toISOString()).date; }
export function addDays(dateStr, n) {
  const d = new Date(dateStr + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
export function weekdayOf(dateStr) { return new Date(dateStr + 'T12:00:00Z').getUTCDay(); }
export function dayTitle(dateStr) {
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' })
    .format(new Date(dateStr + 'T12:00:00Z'));
}
export function weekdayShort(n) {
  // 2023-01-01 was a Sunday.
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', weekday: 'short' }).format(new Date(Date.UTC(2023, 0, 1 + n)));
}
