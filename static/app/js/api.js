// The REST client: bearer token, one refresh on 401, errors as ApiError(status, code, messages).
import { t } from './i18n.js';

const KEY = 'tc.session';
export const session = JSON.parse(localStorage.getItem(KEY) || 'null') || {};
const signOutListeners = [];

export function saveSession(body) {
  Object.keys(session).forEach((k) => delete session[k]);
  if (body) {
    Object.assign(session, {
      token: body.token, refreshToken: body.refreshToken, role: body.currentRole,
      roles: body.roles || [], user: body.user || null,
    });
    localStorage.setItem(KEY, JSON.stringify(session));
    if (body.currentRole) localStorage.setItem('tc.role', body.currentRole);
  } else {
    localStorage.removeItem(KEY);
  }
}
export function onSignOut(fn) { signOutListeners.push(fn); }

export class ApiError extends Error {
  constructor(status, code, messages) {
    super(code);
    this.status = status;
    this.code = code;
    this.messages = messages || null;
  }
}

// API codes → readable text (falls back to a generic message naming the code).
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('err.generic', { code: String(err && err.message || err) });
  if (err.messages) return err.messages.join('\n');
  const key = 'err.' + err.code;
  const text = t(key);
  return text === key ? t('err.generic', { code: err.code }) : text;
}

let refreshing = null;
async function refresh() {
  if (!session.refreshToken) return false;
  refreshing = refreshing || fetch('/api/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refreshToken: session.refreshToken }),
  }).then(async (res) => {
    if (!res.ok) return false;
    const body = await res.json();
    session.token = body.token;
    session.refreshToken = body.refreshToken;
    localStorage.setItem(KEY, JSON.stringify(session));
    return true;
  }).catch(() => false).finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  return refreshing;
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.auth !== false && session.token) headers.Authorization = 'Bearer ' + session.token;
  let res;
  try {
    res = await fetch('/api' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'NETWORK');
  }
  if (res.status === 401 && opts.auth !== false && session.token && !opts.retried) {
    if (await refresh()) return api(method, path, body, { ...opts, retried: true });
    saveSession(null);
    signOutListeners.forEach((fn) => fn());
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const message = data && data.message;
    if (Array.isArray(message)) throw new ApiError(res.status, 'VALIDATION', message);
    throw new ApiError(res.status, typeof message === 'string' && /^[A-Z_]+$/.test(message) ? message : 'HTTP_' + res.status);
  }
  return data;
}
export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

export function qs(params) {
  const p = new URLSearchParams();
  Object.entries(params).forEach(([k, v]) => { if (v !== undefined && v !== null && v !== '') p.set(k, v); });
  const s = p.toString();
  return s ? '?' + s : '';
}
