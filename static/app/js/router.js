// History-API router under /app/: routes are registered by the role modules; pages render into #page.
import { onPush } from './ws.js';
import { setBack, setMain } from './tg.js';
import { h, loading } from './ui.js';

const BASE = '/app';
const routes = [];
let current = null;
let renderId = 0;

export function route(pattern, render, opts = {}) {
  const keys = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, k) => { keys.push(k); return '([^/]+)'; }) + '/?$');
  routes.push({ re, keys, render, opts });
}

export function navigate(path, { replace = false } = {}) {
  const url = BASE + path;
  if (replace) history.replaceState({}, '', url); else history.pushState({}, '', url);
  return renderCurrent();
}
export function back(fallback) {
  if (history.state && history.state.depth > 0) history.back();
  else navigate(fallback || '/', { replace: true });
}

export function currentPath() {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return p || '/';
}

export async function renderCurrent() {
  const path = currentPath();
  const query = Object.fromEntries(new URLSearchParams(location.search));
  let match = null;
  let params = {};
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) { match = r; params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])); break; }
  }
  const main = document.getElementById('page');
  const id = ++renderId;
  setMain(null, null);
  if (!match) { navigate('/', { replace: true }); return; }
  setBack(match.opts.back ? () => back(typeof match.opts.back === 'string' ? match.opts.back : '/') : null);
  document.getElementById('back').hidden = !match.opts.back;
  document.querySelectorAll('nav.tabs a').forEach((a) => {
    const active = match.opts.tab && a.dataset.tab === match.opts.tab;
    a.classList.toggle('active', Boolean(active));
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  main.replaceChildren(loading());
  main.setAttribute('aria-busy', 'true');
  const ctx = {
    params, query,
    title(text) { document.getElementById('title').textContent = text; document.title = text; },
    stale: () => id !== renderId,
  };
  current = { reload: null, id };
  try {
    const page = await match.render(ctx);
    if (id !== renderId) return;
    current.reload = page && page.reload;
    const content = page && page.el ? page.el : page;
    if (content instanceof Node) main.replaceChildren(content);
    if (page && page.after) page.after();
  } finally {
    if (id === renderId) main.removeAttribute('aria-busy');
  }
  window.scrollTo(0, 0);
}

// Live pages reload on any push about lessons, students or packages (debounced), and after a reconnect.
let pending = null;
onPush((msg) => {
  if (!/^(lesson|student|subscription)\.|^reconnected$/.test(msg.type)) return;
  if (!current || !current.reload) return;
  clearTimeout(pending);
  const target = current;
  pending = setTimeout(() => { if (current === target && target.reload) target.reload(msg); }, 120);
});

export function installLinks() {
  document.addEventListener('click', (event) => {
    const a = event.target.closest('a[data-link]');
    if (!a || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    const depth = (history.state && history.state.depth) || 0;
    history.pushState({ depth: depth + 1 }, '', a.getAttribute('href'));
    renderCurrent();
  });
  window.addEventListener('popstate', () => renderCurrent());
}

export function link(path, attrs, ...children) {
  return h('a', { href: BASE + path, 'data-link': true, ...attrs }, ...children);
}

export function go(path) {
  const depth = (history.state && history.state.depth) || 0;
  history.pushState({ depth: depth + 1 }, '', BASE + path);
  return renderCurrent();
}
