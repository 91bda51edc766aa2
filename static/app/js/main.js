// Boot: theme + language, sign-in (Telegram initData, email in a plain browser, dev sign-in with DEBUG), then
// the role's pages and the realtime connection.
import { ApiError, errorText, get, onSignOut, post, session } from './api.js';
import { setLang, t } from './i18n.js';
import { currentPath, installLinks } from './router.js';
import { config } from './session.js';
import { signedIn } from './shell.js';
import { initTelegram, inTelegram, startParam, telegramUser, webApp } from './tg.js';
import { h, toast } from './ui.js';
import { disconnect } from './ws.js';
import { newUserScreen, restoreScreen, rolePicker, signInScreen } from './pages/auth.js';

onSignOut(() => { disconnect(); showScreen(signInScreen()); });

function showScreen(el) {
  document.getElementById('tabs').hidden = true;
  document.getElementById('back').hidden = true;
  document.getElementById('title').textContent = t('app.name');
  document.getElementById('page').replaceChildren(el);
}

async function telegramSignIn() {
  const initData = webApp.initData;
  const pathCode = currentPath().match(/^\/invite\/([A-Za-z0-9_-]+)/);
  const code = startParam() || (pathCode && pathCode[1]);
  if (/^[TP]_/.test(code || '')) {
    try {
      const body = await post('/auth/join', { initData, referralCode: code });
      const who = body.teacher ? body.teacher.displayName : body.student ? body.student.name : '';
      toast(body.isNewConnection ? t('join.done', { name: who }) : t('join.already', { name: who }), 'good');
      return signedIn(body, { path: '/' });
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  }
  const body = await post('/auth/init', { initData });
  if (body.isDeleted) return showScreen(restoreScreen(body));
  if (body.isNewUser) return showScreen(newUserScreen(body));
  if (body.token) return signedIn(body);
  const preferred = localStorage.getItem('tc.role');
  if (preferred && body.roles.includes(preferred)) {
    return signedIn(await post('/auth/select-role', { initData, role: preferred }));
  }
  return showScreen(rolePicker(body.roles));
}

async function browserSignIn() {
  if (!session.token) return showScreen(signInScreen());
  const pathCode = currentPath().match(/^\/invite\/([A-Za-z0-9_-]+)/);
  if (pathCode) {
    try {
      const body = await post('/auth/join-web', { referralCode: pathCode[1] });
      toast(t('join.done', { name: body.teacher ? body.teacher.displayName : '' }), 'good');
      return signedIn(body, { path: '/' });
    } catch (err) {
      toast(errorText(err), 'bad');
    }
  }
  try {
    const me = await get('/auth/me');
    return signedIn({ ...session, currentRole: me.currentRole || session.role, roles: me.roles, user: me.user });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showScreen(signInScreen());
    throw err;
  }
}

async function boot() {
  initTelegram();
  const override = new URLSearchParams(location.search).get('lang');
  const tgUser = telegramUser();
  setLang(override || (tgUser && tgUser.language_code) || config.lang || navigator.language);
  document.getElementById('title').textContent = t('app.name');
  document.getElementById('back').setAttribute('aria-label', t('action.back'));
  document.getElementById('back').addEventListener('click', () => history.back());
  installLinks();
  try {
    if (inTelegram) await telegramSignIn(); else await browserSignIn();
  } catch (err) {
    showScreen(h('div', { class: 'state error', role: 'alert' }, h('p', {}, errorText(err)),
      h('button', { class: 'btn secondary', type: 'button', onclick: () => location.reload() }, t('action.retry'))));
  }
}

boot();
