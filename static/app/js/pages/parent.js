// Parent: children (debt at a glance), a child's page (debt, lessons, stats, tutors, notifications).
import { get, patch, qs } from '../api.js';
import { addDays, fmtWhen, money, t, today } from '../i18n.js';
import { link } from '../router.js';
import { badge, checkbox, empty, h, personName, row, section, toast } from '../ui.js';
import { livePage } from './tutor.js';
import { groupedLessons } from './student.js';

const childPath = (id) => '/parents/me/children/' + encodeURIComponent(id);

async function children(ctx) {
  ctx.title(t('tab.children'));
  const page = livePage(async () => {
    const list = await get('/parents/me/children');
    if (!list.length) return empty(t('parent.no_children'));
    return h('ul', { class: 'list' }, ...list.map((c) => {
      const debt = c.debt;
      return h('li', {}, link('/child/' + c.childId, { class: 'list-item', dataset: { childId: c.childId } },
        h('div', { class: 'row' }, h('strong', {}, personName(c.childUser)),
          debt ? (debt.hasDebt ? badge(t('debt.amount', { amount: money(debt.unpaidAmountRub) }), 'bad debt') : badge(t('debt.none'), 'good debt')) : null),
        h('div', { class: 'meta hint' }, c.teachers.map((x) => x.teacherName).join(', '),
          ' · ', t('stats.rate') + ': ' + c.stats.attendanceRate + '%')));
    }));
  });
  await page.ready;
  return page;
}

async function child(ctx) {
  const id = ctx.params.id;
  ctx.title(t('parent.child'));
  const page = livePage(async () => {
    const [c, debt, lessons] = await Promise.all([
      get(childPath(id)), get(childPath(id) + '/debt'),
      get(childPath(id) + '/lessons' + qs({ from: addDays(today(), -30), to: addDays(today(), 60) })),
    ]);
    ctx.title(personName(c.childUser));
    const now = new Date().toISOString();
    const upcoming = lessons.filter((l) => l.startAt >= now);
    const recent = lessons.filter((l) => l.startAt < now);
    const st = c.stats.total;
    return [
      section(null,
        h('div', { class: 'kpis' },
          h('div', { class: 'kpi' + (debt.totalDebt.hasDebt ? ' bad' : ''), dataset: { kpi: 'debt' } }, h('b', {}, money(debt.totalDebt.unpaidAmountRub)), h('small', {}, t('debt.title'))),
          h('div', { class: 'kpi' }, h('b', {}, String(st.totalLessonsAttended)), h('small', {}, t('stats.attended'))),
          h('div', { class: 'kpi' }, h('b', {}, st.attendanceRate + '%'), h('small', {}, t('stats.rate'))))),
      debt.byTeacher.some((d) => d.hasDebt) ? section(t('debt.lessons'), ...debt.byTeacher.filter((d) => d.hasDebt).map((d) => h('div', { class: 'stack' },
        h('h3', {}, d.teacherName + ' · ' + money(d.unpaidAmountRub)),
        ...d.lessons.map((x) => row(fmtWhen(x.startAt) + (x.subjectName ? ' · ' + x.subjectName : ''), money(x.priceRub)))))) : null,
      section(t('student.upcoming'), upcoming.length ? groupedLessons(upcoming, false) : empty(t('student.no_upcoming'))),
      section(t('student.history'), recent.length ? groupedLessons(recent, true) : empty(t('student.no_history'))),
      section(t('parent.tutors'), ...c.teachers.map((x) => row(x.displayName, t('stats.rate') + ': ' + x.statsWithTeacher.attendanceRate + '%'))),
      section(t('profile.notifications'), checkbox(t('parent.notify_child'), {
        checked: c.notificationsEnabled,
        onchange: async (e) => {
          try { await patch(childPath(id) + '/notifications', { notificationsEnabled: e.target.checked }); toast(t('action.saved'), 'good'); } catch (err) { e.target.checked = !e.target.checked; toast(t('err.generic', { code: err.code }), 'bad'); }
        },
      })),
    ];
  });
  await page.ready;
  // Lessons on the parent's page are read-only: links point at nothing the parent can open.
  page.el.querySelectorAll('a.lesson-card').forEach((a) => { a.removeAttribute('href'); a.removeAttribute('data-link'); });
  const strip = () => page.el.querySelectorAll('a.lesson-card').forEach((a) => { a.removeAttribute('href'); a.removeAttribute('data-link'); });
  return { el: page.el, reload: async (m) => { await page.reload(m); strip(); } };
}

export function registerParent(route) {
  route('/', children, { tab: 'children' });
  route('/child/:id', child, { tab: 'children', back: '/' });
}
