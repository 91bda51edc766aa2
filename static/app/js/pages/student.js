// Student: upcoming lessons, lesson page (meeting link, own notes, cancel), progress (stats, achievements, packages).
import { get, patch, post, qs } from '../api.js';
import { addDays, dayTitle, fmtDate, fmtTime, fmtWhen, localParts, money, t, today } from '../i18n.js';
import { link, navigate } from '../router.js';
import { confirmDialog, haptic, openLink } from '../tg.js';
import { badge, empty, field, form, h, personName, row, section, toast, actionButton } from '../ui.js';
import { livePage, paintDots } from './tutor.js';

const path = (id) => '/students/me/lessons/' + encodeURIComponent(id);

function statusBadge(l) {
  if (l.status === 'cancelled' || l.attendance === 'cancelled') return badge(t('status.cancelled'), 'muted');
  if (l.status === 'done') return badge(t('attendance.' + (l.attendance || 'unknown')), l.attendance === 'attended' ? 'good' : '');
  return null;
}

function lessonCard(l) {
  const subject = l.subject && l.subject.name;
  const teacher = l.teacher ? personName(l.teacher) : '';
  return link('/lesson/' + l.id, { class: 'lesson-card' + (l.status === 'cancelled' || l.attendance === 'cancelled' ? ' cancelled' : ''), dataset: { lessonId: l.id } },
    h('div', { class: 'time' }, fmtTime(l.startAt)),
    h('div', { class: 'body' },
      h('div', { class: 'title' }, subject ? h('span', { class: 'dot', dataset: { color: l.subject.colorHex } }) : null, subject || t('lesson.untitled')),
      teacher ? h('div', { class: 'who' }, teacher) : null,
      h('div', { class: 'badges' }, statusBadge(l))));
}

export function groupedLessons(lessons, reverse) {
  const byDay = new Map();
  lessons.sort((a, b) => (reverse ? b.startAt.localeCompare(a.startAt) : a.startAt.localeCompare(b.startAt)));
  lessons.forEach((l) => {
    const d = localParts(l.startAt).date;
    if (!byDay.has(d)) byDay.set(d, []);
    byDay.get(d).push(l);
  });
  const wrap = h('div', { class: 'stack' }, ...[...byDay].map(([d, list]) => h('section', { class: 'day' }, h('h2', {}, dayTitle(d)), ...list.map(lessonCard))));
  paintDots(wrap);
  return wrap;
}

async function lessons(ctx) {
  const past = ctx.query.past === '1';
  ctx.title(t('tab.lessons'));
  const toggle = h('div', { class: 'segmented', role: 'group' },
    link('/', { class: past ? '' : 'on', 'aria-current': (!past) ? 'true' : null }, t('student.upcoming')),
    link('/?past=1', { class: past ? 'on' : '', 'aria-current': (past) ? 'true' : null }, t('student.history')));
  const page = livePage(async () => {
    const range = past ? { from: addDays(today(), -180), to: today() } : { from: today(), to: addDays(today(), 90) };
    const now = new Date().toISOString();
    const list = (await get('/students/me/lessons' + qs(range))).filter((l) => (past ? l.startAt < now : l.startAt >= now || l.status === 'planned'));
    if (!list.length) return empty(past ? t('student.no_history') : t('student.no_upcoming'));
    return groupedLessons(list, past);
  });
  await page.ready;
  return { el: h('div', { class: 'stack' }, toggle, page.el), reload: page.reload };
}

async function lessonPage(ctx) {
  ctx.title(t('lesson.title'));
  const page = livePage(async () => {
    const l = await get(path(ctx.params.id));
    const subject = l.subject && l.subject.name;
    const future = new Date(l.startAt) > new Date();
    const cancellable = l.status === 'planned' && future && l.attendance !== 'cancelled';
    const notes = form({
      submitText: t('action.save'),
      children: [
        field(t('student.note_private'), h('textarea', { name: 'priv', rows: 3, maxlength: 5000, value: l.studentNotePrivate || '' })),
        field(t('student.note_for_teacher'), h('textarea', { name: 'forTeacher', rows: 3, maxlength: 5000, value: l.studentNoteForTeacher || '' })),
      ],
      async onSubmit(el) {
        await patch(path(l.id), { studentNotePrivate: el.priv.value, studentNoteForTeacher: el.forTeacher.value });
        toast(t('action.saved'), 'good');
      },
    });
    return [
      section(null,
        h('h2', {}, subject || t('lesson.untitled'), ' ', statusBadge(l)),
        row(t('lesson.when'), fmtWhen(l.startAt)),
        row(t('lesson.duration'), t('lesson.minutes', { n: l.durationMinutes })),
        l.teacher ? row(t('lesson.teacher'), personName(l.teacher)) : null,
        l.isGroupLesson ? row(t('lesson.group'), t('lesson.group_seats', { n: l.totalStudentsCount })) : null,
        l.priceRub ? row(t('lesson.price'), money(l.priceRub)) : null,
        l.status === 'done' && l.attendance === 'attended' ? row(t('lesson.payment'), t('payment.' + (l.paymentStatus || 'unpaid'))) : null,
        l.lessonReport ? row(t('lesson.report'), l.lessonReport) : null,
        l.meetingUrl ? h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'btn primary', onclick: () => openLink(l.meetingUrl) }, t('lesson.open_meeting'))) : null),
      section(t('student.my_notes'), notes),
      cancellable ? h('div', { class: 'buttons' }, actionButton(t('lesson.cancel'), async () => {
        if (!(await confirmDialog(t('student.cancel_q')))) return;
        await post(path(l.id) + '/cancel');
        haptic('warning');
        toast(t('lesson.cancelled_ok'), 'good');
        await page.reload();
      }, 'danger-text')) : null,
    ];
  });
  await page.ready;
  return page;
}

async function progress(ctx) {
  ctx.title(t('tab.progress'));
  const page = livePage(async () => {
    const [stats, subs] = await Promise.all([get('/students/me/stats'), get('/students/me/subscriptions')]);
    const tot = stats.total;
    return [
      section(t('stats.title'),
        h('div', { class: 'kpis' },
          h('div', { class: 'kpi' }, h('b', {}, String(tot.totalLessonsAttended)), h('small', {}, t('stats.attended'))),
          h('div', { class: 'kpi' }, h('b', {}, tot.attendanceRate + '%'), h('small', {}, t('stats.rate'))),
          h('div', { class: 'kpi' }, h('b', {}, String(stats.streak ? stats.streak.current : 0)), h('small', {}, t('stats.streak')))),
        row(t('stats.missed'), tot.totalLessonsMissed), row(t('stats.cancelled_student'), tot.cancelledByStudent)),
      section(t('package.title'), subs.length ? h('ul', { class: 'list' }, ...subs.map((s) => h('li', { class: 'list-item' },
        h('div', { class: 'row' }, h('strong', {}, s.teacherName), h('span', {}, s.type === 'lessons' ? t('package.left', { n: s.remainingLessons }) : t('package.until', { date: fmtDate(s.expiresAt) }))),
        s.isExpired ? badge(t('package.expired'), 'bad') : null))) : empty(t('package.none_student'))),
      section(t('achievements.title'), (stats.achievements || []).length ? h('ul', { class: 'achievements' }, ...stats.achievements.map((a) => h('li', { class: a.earnedAt ? 'earned' : '' },
        h('span', { class: 'ach-icon', 'aria-hidden': 'true' }, a.earnedAt ? '★' : '☆'),
        h('div', {}, h('strong', {}, a.name), h('small', { class: 'hint' }, a.description + (a.target ? ` (${Math.min(a.progress, a.target)}/${a.target})` : '')))))) : empty(t('achievements.none'))),
    ];
  });
  await page.ready;
  return page;
}

export function registerStudent(route) {
  route('/', lessons, { tab: 'lessons' });
  route('/lesson/:id', lessonPage, { tab: 'lessons', back: '/' });
  route('/progress', progress, { tab: 'progress' });
  void navigate;
}
