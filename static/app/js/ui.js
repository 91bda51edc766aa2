// DOM helpers. User data only ever goes into text nodes and attributes (never innerHTML).
import { errorText } from './api.js';
import { t } from './i18n.js';
import { inTelegram, mainProgress, setMain } from './tg.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
  append(el, children);
  return el;
}
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const loading = () => h('div', { class: 'state', role: 'status', 'aria-live': 'polite' },
  h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('state.loading'));
export const empty = (text, action) => h('div', { class: 'state empty' }, h('p', {}, text), action || null);
export function errorBox(err, retry) {
  return h('div', { class: 'state error', role: 'alert' },
    h('p', {}, errorText(err)),
    retry ? h('button', { class: 'btn secondary', type: 'button', onclick: retry }, t('action.retry')) : null);
}

let toastTimer;
export function toast(text, kind) {
  const box = document.getElementById('toast');
  box.textContent = text;
  box.className = 'toast show ' + (kind || '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = 'toast'; }, 3000);
}

export const section = (title, ...children) => h('section', { class: 'card' },
  title ? h('h2', {}, title) : null, ...children);
export const row = (label, value) => h('div', { class: 'row' }, h('span', { class: 'hint' }, label), h('span', {}, value));
export const badge = (text, kind) => h('span', { class: 'badge ' + (kind || '') }, text);

export function field(label, input, hint) {
  const id = input.id || 'f' + Math.random().toString(36).slice(2, 8);
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', { class: 'hint' }, hint) : null);
}
export function checkbox(label, attrs) {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', ...attrs }), h('span', {}, label));
}

// A form whose submit keeps everything typed when the request fails: the error appears above the button,
// the inputs are never re-rendered. In Telegram the submit button is the MainButton.
export function form({ submitText, onSubmit, children }) {
  const errorEl = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'btn primary submit', type: 'submit' }, submitText);
  const el = h('form', { novalidate: true }, children, errorEl, submit);
  let busy = false;
  async function run() {
    if (busy) return;
    errorEl.textContent = '';
    if (!el.reportValidity()) return;
    busy = true;
    submit.disabled = true;
    mainProgress(true);
    try {
      await onSubmit(el);
      delete el.dataset.dirty;
    } catch (err) {
      errorEl.textContent = errorText(err);
    } finally {
      busy = false;
      submit.disabled = false;
      mainProgress(false);
    }
  }
  el.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  el.addEventListener('input', () => { el.dataset.dirty = '1'; });
  el.activateMain = () => {
    if (!inTelegram) return;
    el.classList.add('tg');
    setMain(submitText, run);
  };
  return el;
}

// A button that runs an async action, disables itself meanwhile and reports failure in a toast.
export function actionButton(text, action, cls) {
  const btn = h('button', { type: 'button', class: 'btn ' + (cls || 'secondary') }, text);
  btn.addEventListener('click', async () => {
    if (btn.disabled) return;
    btn.disabled = true;
    try { await action(); } catch (err) { toast(errorText(err), 'bad'); } finally { btn.disabled = false; }
  });
  return btn;
}

export function personName(u) {
  if (!u) return '';
  return [u.firstName, u.lastName].filter(Boolean).join(' ') || (u.username ? '@' + u.username : '—');
}
