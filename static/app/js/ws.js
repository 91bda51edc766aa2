// Realtime: a single-use ticket, then /ws/?ticket=…; pings every 25 s; reconnects with backoff after a drop
// (and at once when the network or the tab comes back). After a reconnect listeners get {type: 'reconnected'}
// so open pages reload what they may have missed.
import { post, session } from './api.js';

const listeners = new Set();
let sock = null;
let attempt = 0;
let timer = null;
let pinger = null;
let wanted = false;
let everOpened = false;

export function onPush(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function emit(msg) { listeners.forEach((fn) => { try { fn(msg); } catch (e) { console.error(e); } }); }
function setOnline(on) { document.documentElement.dataset.live = on ? 'on' : 'off'; }

export function connect() {
  wanted = true;
  if (sock || !session.token) return;
  open();
}
export function disconnect() {
  wanted = false;
  clearTimeout(timer);
  if (sock) { const s = sock; sock = null; s.close(1000); }
}

async function open() {
  clearTimeout(timer);
  let ticket;
  try {
    ticket = (await post('/realtime/ticket')).ticket;
  } catch (e) {
    schedule();
    return;
  }
  if (!wanted) return;
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const s = new WebSocket(`${proto}://${location.host}/ws/?ticket=${encodeURIComponent(ticket)}`);
  sock = s;
  s.onopen = () => {
    attempt = 0;
    setOnline(true);
    clearInterval(pinger);
    pinger = setInterval(() => { if (s.readyState === 1) s.send('{"type":"ping"}'); }, 25000);
    if (everOpened) emit({ type: 'reconnected' });
    everOpened = true;
  };
  s.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg && typeof msg.type === 'string') emit(msg);
  };
  s.onclose = () => {
    clearInterval(pinger);
    setOnline(false);
    if (sock === s) sock = null;
    if (wanted) schedule();
  };
}

function schedule() {
  clearTimeout(timer);
  if (!wanted) return;
  const delay = Math.min(15000, 500 * 2 ** attempt) + Math.random() * 300;
  attempt += 1;
  timer = setTimeout(() => { if (!sock) open(); }, delay);
}

function nudge() { if (wanted && !sock) { attempt = 0; open(); } }
window.addEventListener('online', nudge);
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') nudge(); });
