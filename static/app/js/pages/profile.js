// Profile for every role: details and time zone, notifications, role switch / add, calendar feed, sign out.
import { ApiError, get, patch, post, saveSession, session } from '../api.js';
import { setZone, t } from '../i18n.js';
import { link } from '../router.js';
import { inTelegram, shareLink, webApp } from '../tg.js';
import { actionButton, checkbox, field, form, h, personName, row, section, toast } from '../ui.js';
import { signOut } from '../session.js';

const ROLES = ['teacher', 'student', 'parent'];
const EVENTS = [
  ['lesson_created', 'lessonCreatedEnabled'], ['lesson_rescheduled', 'lessonRescheduledEnabled'],
  ['lesson_cancelled', 'lessonCancelledEnabled'], ['lesson_reminder', 'lessonReminderEnabled'],
  ['lesson_prompt', 'lessonPromptEnabled'], ['new_student', 'newStudentEnabled'],
];

function zoneSelect(current) {
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch (e) { zones = [current]; }
  if (!zones.includes(current)) zones.unshift(current);
  return h('select', { name: 'timezone' }, ...zones.map((z) => h('option', { value: z, selected: z === current }, z)));
}

async function teacherDetails() {
  const me = await get('/teachers/me');
  const f = form({
    submitText: t('action.save'),
    children: [
      field(t('field.display_name'), h('input', { name: 'displayName', required: true, maxlength: 100, value: me.displayName || '' })),
      field(t('field.bio'), h('textarea', { name: 'bio', rows: 2, maxlength: 1000, value: me.bio || '' })),
      field(t('field.city'), h('input', { name: 'city', maxlength: 100, value: me.city || '' })),
      field(t('field.timezone'), zoneSelect(me.timezone)),
    ],
    async onSubmit(el) {
      const body = await patch('/teachers/me', { displayName: el.displayName.value.trim(), bio: el.bio.value, city: el.city.value, timezone: el.timezone.value });
      setZone(body.timezone || el.timezone.value);
      if (session.user) session.user.timezone = el.timezone.value;
      toast(t('action.saved'), 'good');
    },
  });
  return [section(t('profile.details'), f),
    section(null, h('div', { class: 'buttons wrap' }, link('/subjects', { class: 'btn secondary' }, t('subjects.title')), link('/invite', { class: 'btn secondary' }, t('invite.title'))))];
}

async function zoneOnly(kind) {
  const me = await get(`/${kind}/me`);
  const f = form({
    submitText: t('action.save'),
    children: [field(t('field.timezone'), zoneSelect(me.timezone))],
    async onSubmit(el) {
      await patch(`/${kind}/me`, { timezone: el.timezone.value });
      setZone(el.timezone.value);
      toast(t('action.saved'), 'good');
    },
  });
  return [section(t('profile.details'), f)];
}

async function studentExtras() {
  const [settings, invite] = await Promise.all([get('/students/me/notification-settings'), get('/students/me/parent-invite-link')]);
  const f = form({
    submitText: t('action.save'),
    children: [
      checkbox(t('student.reminders'), { name: 'rem', checked: settings.enableLessonReminders }),
      field(t('student.reminder_minutes'), h('input', { type: 'number', name: 'minutes', min: 0, max: 10080, value: String(settings.defaultReminderMinutesBefore) })),
      checkbox(t('student.reports'), { name: 'rep', checked: settings.enableLessonReports }),
    ],
    async onSubmit(el) {
      await patch('/students/me/notification-settings', {
        enableLessonReminders: el.rem.checked, defaultReminderMinutesBefore: Number(el.minutes.value), enableLessonReports: el.rep.checked,
      });
      toast(t('action.saved'), 'good');
    },
  });
  return [section(t('student.reminders_title'), f),
    section(t('student.invite_parent'), h('p', { class: 'hint' }, t('student.invite_parent_lead')),
      h('div', { class: 'buttons' }, actionButton(t('invite.share'), async () => {
        const r = await shareLink(invite.fallbackUrl, t('invite.parent_text'));
        if (r === 'copied') toast(t('invite.copied'), 'good');
      }, 'primary')), row(t('invite.telegram_link'), h('span', { class: 'mono' }, invite.fallbackUrl)))];
}

async function botNotifications() {
  let s;
  try { s = await get('/bot/notifications'); } catch (e) { return null; }
  const items = [checkbox(t('notify.master'), {
    checked: s.notificationsEnabled,
    onchange: async (e) => { try { await post('/bot/notifications/toggle', { enabled: e.target.checked }); toast(t('action.saved'), 'good'); } catch (err) { e.target.checked = !e.target.checked; } },
  })];
  const roleEvents = session.role === 'teacher' ? EVENTS : EVENTS.filter(([e]) => e !== 'new_student' && e !== 'lesson_prompt');
  roleEvents.forEach(([eventType, key]) => items.push(checkbox(t('notify.' + eventType), {
    checked: s[key],
    onchange: async (e) => { try { await post('/bot/notifications/preference', { eventType, enabled: e.target.checked }); } catch (err) { e.target.checked = !e.target.checked; } },
  })));
  return section(t('profile.notifications'), h('div', { class: 'stack' }, ...items));
}

async function calendarFeed() {
  try {
    const feed = await get('/calendar/feed');
    if (!feed || !feed.url) return null;
    return section(t('profile.calendar'), h('p', { class: 'hint' }, t('profile.calendar_lead')), h('p', { class: 'mono' }, feed.url),
      h('div', { class: 'buttons' }, actionButton(t('invite.copy'), async () => { await navigator.clipboard.writeText(feed.url); toast(t('invite.copied'), 'good'); })));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    return null;
  }
}

function roles() {
  const mine = session.roles || [];
  const switchTo = async (role) => {
    const body = await post('/auth/select-role', { initData: webApp.initData, role });
    saveSession(body);
    location.replace('/app/');
  };
  // Switching needs Telegram's initData; a plain browser signs in again with the other role.
  const others = inTelegram ? mine.filter((r) => r !== session.role) : [];
  const missing = ROLES.filter((r) => !mine.includes(r));
  return section(t('profile.roles'),
    row(t('profile.current_role'), t('role.' + session.role)),
    others.length ? h('div', { class: 'buttons wrap' }, ...others.map((r) => actionButton(t('profile.switch_to', { role: t('role.' + r) }), () => switchTo(r)))) : null,
    missing.length ? h('div', { class: 'buttons wrap' }, ...missing.map((r) => actionButton(t('profile.add_role', { role: t('role.' + r) }), async () => {
      const body = await post('/auth/add-role', { role: r });
      saveSession(body);
      location.replace('/app/');
    }))) : null);
}

async function profile(ctx) {
  ctx.title(t('tab.profile'));
  const parts = [section(null, h('strong', { class: 'big' }, personName(session.user)), h('p', { class: 'hint' }, t('role.' + session.role)))];
  if (session.role === 'teacher') parts.push(...await teacherDetails());
  if (session.role === 'student') parts.push(...await zoneOnly('students'), ...await studentExtras());
  if (session.role === 'parent') parts.push(...await zoneOnly('parents'));
  const [bot, feed] = await Promise.all([botNotifications(), calendarFeed()]);
  parts.push(bot, feed, roles());
  parts.push(h('div', { class: 'buttons' }, actionButton(t('profile.sign_out'), async () => {
    try { await post('/auth/logout', { refreshToken: session.refreshToken }); } finally { signOut(); }
  }, 'danger-text')));
  return h('div', { class: 'stack' }, ...parts);
}

export function registerProfile(route) {
  route('/profile', profile, { tab: 'profile' });
}
