// Sign-in screens: role choice for new and multi-role Telegram users, account restore, and in a plain
// browser the email sign-in (issue 12's routes; hidden when the server does not have them) plus, with DEBUG,
// the dev sign-in.
import { post } from '../api.js';
import { t } from '../i18n.js';
import { webApp } from '../tg.js';
import { field, form, h, section, toast } from '../ui.js';
import { config } from '../session.js';
import { signedIn } from '../shell.js';

const ROLES = ['teacher', 'student', 'parent'];

export function rolePicker(roles) {
  return h('div', { class: 'stack' },
    h('p', { class: 'lead' }, t('auth.pick_role')),
    ...roles.map((role) => h('button', {
      class: 'btn primary block', type: 'button',
      onclick: async () => signedIn(await post('/auth/select-role', { initData: webApp.initData, role })),
    }, t('role.' + role))));
}

export function newUserScreen(body) {
  const name = body.telegramUser ? body.telegramUser.firstName : '';
  return h('div', { class: 'stack' },
    h('p', { class: 'lead' }, t('auth.welcome', { name })),
    h('p', { class: 'hint' }, t('auth.new_user_hint')),
    ...ROLES.map((role) => h('button', {
      class: 'btn primary block', type: 'button',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          signedIn(await post('/auth/register', { initData: webApp.initData, role }));
        } catch (err) {
          e.currentTarget.disabled = false;
          toast(String(err.code || err), 'bad');
        }
      },
    }, t('auth.i_am.' + role))));
}

export function restoreScreen(body) {
  return h('div', { class: 'stack' },
    h('p', { class: 'lead' }, t('auth.deleted', { days: body.daysLeft })),
    h('button', {
      class: 'btn primary block', type: 'button',
      onclick: async () => {
        await post('/auth/restore-account', { initData: webApp.initData });
        location.reload();
      },
    }, t('auth.restore')));
}

function devSignIn() {
  return section(t('auth.dev_title'),
    h('p', { class: 'hint' }, t('auth.dev_hint')),
    h('div', { class: 'buttons' }, ...ROLES.map((role) => h('button', {
      class: 'btn secondary', type: 'button', dataset: { devRole: role },
      onclick: async () => {
        const res = await fetch('/app/dev-sign-in', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role }),
        });
        if (res.ok) signedIn(await res.json(), { path: '/' }); else toast(t('err.generic', { code: res.status }), 'bad');
      },
    }, t('role.' + role)))));
}

function emailInput() { return h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email', maxlength: 254 }); }
function passwordInput(autocomplete) {
  return h('input', { type: 'password', name: 'password', required: true, minlength: 6, maxlength: 128, autocomplete });
}

function loginForm() {
  return form({
    submitText: t('auth.sign_in'),
    children: [field(t('field.email'), emailInput()), field(t('field.password'), passwordInput('current-password'))],
    async onSubmit(el) {
      const body = await post('/auth/login-email', { email: el.email.value.trim(), password: el.password.value });
      await signedIn(body, { path: '/' });
    },
  });
}

function codeForm(pending) {
  const box = h('div', { class: 'stack' });
  const f = form({
    submitText: t('auth.confirm'),
    children: [
      h('p', {}, t('auth.code_sent', { email: pending.email })),
      field(t('field.code'), h('input', {
        name: 'code', required: true, inputmode: 'numeric', pattern: '[0-9]{4}', minlength: 4, maxlength: 4,
        autocomplete: 'one-time-code',
      })),
    ],
    async onSubmit(el) {
      const body = await post('/auth/verify-code', { userId: pending.userId, code: el.code.value.trim(), role: pending.role });
      await signedIn(body, { path: '/' });
    },
  });
  box.append(f, h('button', {
    class: 'btn link', type: 'button',
    onclick: async () => { await post('/auth/resend-code', { userId: pending.userId }); toast(t('auth.code_resent'), 'good'); },
  }, t('auth.resend')));
  return box;
}

function registerForm(swap) {
  const role = h('select', { name: 'role', required: true },
    ...ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
  return form({
    submitText: t('auth.create_account'),
    children: [
      field(t('field.first_name'), h('input', { name: 'firstName', required: true, maxlength: 100, autocomplete: 'given-name' })),
      field(t('field.last_name'), h('input', { name: 'lastName', maxlength: 100, autocomplete: 'family-name' })),
      field(t('field.email'), emailInput()),
      field(t('field.password'), passwordInput('new-password'), t('auth.password_hint')),
      field(t('field.role'), role),
    ],
    async onSubmit(el) {
      const pending = await post('/auth/register-email', {
        email: el.email.value.trim(), password: el.password.value, firstName: el.firstName.value.trim(),
        lastName: el.lastName.value.trim(), role: el.role.value,
      });
      swap(codeForm({ ...pending, role: pending.role || el.role.value }));
    },
  });
}

export function signInScreen() {
  const body = h('div', { class: 'stack', id: 'email-sign-in' });
  const wrap = h('div', { class: 'stack' }, h('p', { class: 'lead' }, t('auth.browser_lead')), body);
  const swap = (el) => body.replaceChildren(el);
  const login = () => swap(h('div', { class: 'stack' }, loginForm(),
    h('button', { class: 'btn link', type: 'button', onclick: () => swap(registerForm(swap)) }, t('auth.no_account'))));
  login();
  // Issue 12's routes may not exist on this server yet: ask once (OPTIONS is free) and say so instead of failing.
  fetch('/api/auth/login-email', { method: 'OPTIONS' }).then((res) => {
    if (res.status === 404) {
      body.replaceChildren(h('p', { class: 'state', dataset: { emailSignIn: 'unavailable' } }, t('auth.email_unavailable')));
    }
  }).catch(() => {});
  if (config.debug) wrap.append(devSignIn());
  wrap.append(h('p', { class: 'hint' }, t('auth.telegram_hint', { bot: config.botUsername })));
  return wrap;
}

