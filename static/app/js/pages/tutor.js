// Tutor: agenda (today/week), lesson page (marking, cancel, move, edit, delete), new lesson, students, student
// page, subjects, invite link.
import { del, get, patch, post, qs } from '../api.js';
import {
  addDays, dayTitle, fmtDate, fmtDay, fmtTime, fmtWhen, localParts, money, t, today, weekdayOf, weekdayShort,
} from '../i18n.js';
import { go, link, navigate } from '../router.js';
import { confirmDialog, haptic, shareLink } from '../tg.js';
import {
  actionButton, badge, checkbox, empty, errorBox, field, form, h, personName, row, section, toast,
} from '../ui.js';

const lessonPath = (id) => '/teachers/me/lessons/' + encodeURIComponent(id);
const studentPath = (id) => '/teachers/me/students/' + encodeURIComponent(id);

// A page whose body reloads in place (live pushes, retry) while its frame stays.
export function livePage(load) {
  const el = h('div', { class: 'stack' });
  async function reload(push) {
    // A push never re-renders over a form the user is typing in (explicit reloads after actions do).
    if (push && el.querySelector('form[data-dirty]')) return;
    try {
      el.replaceChildren(...[await load()].flat());
    } catch (err) {
      el.replaceChildren(errorBox(err, reload));
    }
  }
  return { el, reload, ready: reload() };
}

function statusBadge(lesson) {
  if (lesson.status === 'cancelled') return badge(t('status.cancelled'), 'muted');
  if (lesson.status === 'done') return badge(t('status.done'), 'good');
  return null;
}

function endOf(lesson) { return new Date(new Date(lesson.startAt).getTime() + lesson.durationMinutes * 60000).toISOString(); }

function lessonCard(lesson) {
  const students = lesson.students || [];
  const who = lesson.isGroupLesson || students.length > 1
    ? h('span', { class: 'seats' }, t('lesson.group_seats', { n: students.length }) + ': ' + students.map(personName).join(', '))
    : students.map(personName).join(', ') || t('lesson.no_students');
  const subject = lesson.subject && lesson.subject.name;
  return link('/lesson/' + lesson.id, { class: 'lesson-card' + (lesson.status === 'cancelled' ? ' cancelled' : ''), dataset: { lessonId: lesson.id } },
    h('div', { class: 'time' }, fmtTime(lesson.startAt), h('small', {}, fmtTime(endOf(lesson)))),
    h('div', { class: 'body' },
      h('div', { class: 'title' },
        subject ? h('span', { class: 'dot', dataset: { color: lesson.subject.colorHex } }) : null,
        subject || t('lesson.untitled')),
      h('div', { class: 'who' }, who),
      h('div', { class: 'badges' }, statusBadge(lesson),
        lesson.conflicts && lesson.conflicts.length ? badge(t('lesson.conflict'), 'warn') : null,
        lesson.isFree ? badge(t('lesson.free'), 'muted') : null)));
}

// Subject colours come from the API: set them through CSSOM (no inline style attributes).
export function paintDots(root) {
  root.querySelectorAll('.dot[data-color]').forEach((d) => {
    if (/^#[0-9a-fA-F]{3,8}$/.test(d.dataset.color)) d.style.backgroundColor = d.dataset.color;
  });
}

function mondayOf(dateStr) { const w = weekdayOf(dateStr); return addDays(dateStr, w === 0 ? -6 : 1 - w); }

async function agenda(ctx) {
  const view = ctx.query.view === 'week' ? 'week' : 'day';
  const day = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.d || '') ? ctx.query.d : today();
  const from = view === 'week' ? mondayOf(day) : day;
  const to = view === 'week' ? addDays(from, 6) : day;
  ctx.title(t('tab.agenda'));
  const step = view === 'week' ? 7 : 1;
  const nav = h('div', { class: 'agenda-nav' },
    h('div', { class: 'segmented', role: 'group', 'aria-label': t('agenda.view') },
      link('/?view=day&d=' + today(), { class: view === 'day' && day === today() ? 'on' : '', 'aria-current': (view === 'day') ? 'true' : null }, t('agenda.today')),
      link('/?view=week&d=' + day, { class: view === 'week' ? 'on' : '', 'aria-current': (view === 'week') ? 'true' : null }, t('agenda.week'))),
    h('div', { class: 'pager' },
      link(`/?view=${view}&d=${addDays(day, -step)}`, { class: 'btn icon', 'aria-label': t('agenda.prev') }, '‹'),
      h('span', { class: 'range' }, view === 'week' ? `${fmtDay(from + 'T12:00:00Z')} – ${fmtDay(to + 'T12:00:00Z')}` : dayTitle(day)),
      link(`/?view=${view}&d=${addDays(day, step)}`, { class: 'btn icon', 'aria-label': t('agenda.next') }, '›')));
  const page = livePage(async () => {
    const lessons = await get('/teachers/me/lessons' + qs({ from, to }));
    if (!lessons.length) {
      return empty(view === 'week' ? t('agenda.empty_week') : t('agenda.empty_day'),
        link('/new?date=' + day, { class: 'btn primary' }, t('lesson.new')));
    }
    const byDay = new Map();
    lessons.sort((a, b) => a.startAt.localeCompare(b.startAt));
    lessons.forEach((l) => {
      const d = localParts(l.startAt).date;
      if (!byDay.has(d)) byDay.set(d, []);
      byDay.get(d).push(l);
    });
    const out = [];
    for (const [d, list] of byDay) {
      const planned = list.filter((l) => l.status !== 'cancelled');
      out.push(h('section', { class: 'day' },
        h('h2', {}, dayTitle(d), h('small', { class: 'hint' }, ' · ' + t('agenda.count', { n: planned.length }))),
        ...list.map(lessonCard)));
    }
    const wrap = h('div', { class: 'stack' }, ...out);
    paintDots(wrap);
    return wrap;
  });
  await page.ready;
  return { el: h('div', { class: 'stack' }, nav, page.el), reload: page.reload };
}

function scopePicker(name) {
  const opts = [['this', 'scope.this'], ['future', 'scope.future'], ['all', 'scope.all']];
  return h('fieldset', { class: 'scope' }, h('legend', {}, t('scope.title')),
    ...opts.map(([value, key], i) => h('label', { class: 'check' },
      h('input', { type: 'radio', name, value, checked: i === 0 }), h('span', {}, t(key)))));
}
function scopeOf(root, name) {
  const picked = root.querySelector(`input[name="${name}"]:checked`);
  return picked ? picked.value : undefined;
}

function markButtons(lesson, st, reload) {
  if (lesson.status === 'cancelled' || st.attendance === 'cancelled') return null;
  const complete = async (entry, message) => {
    try {
      await patch(lessonPath(lesson.id) + '/complete', { students: [{ studentId: st.studentId, ...entry }] });
      haptic('success');
      toast(message, 'good');
      await reload();
    } catch (err) {
      haptic('error');
      throw err;
    }
  };
  const paidEntry = st.paymentType === 'subscription' || st.paidFromSubscription
    ? { attendance: 'attended', useSubscription: true }
    : { attendance: 'attended', paymentStatus: st.paymentType === 'free' ? null : 'paid' };
  const buttons = [
    actionButton(t('mark.attended_paid'), () => complete(paidEntry, t('mark.done_paid')), st.attendance === 'attended' && st.paymentStatus === 'paid' ? 'secondary on' : 'primary'),
    actionButton(t('mark.missed'), () => complete({ attendance: 'missed' }, t('mark.done_missed')), st.attendance === 'missed' ? 'secondary on' : 'secondary'),
  ];
  if (st.attendance === 'attended' && st.paymentType === 'fixed' && !st.paidFromSubscription) {
    const next = st.paymentStatus === 'paid' ? 'unpaid' : 'paid';
    buttons.push(actionButton(next === 'paid' ? t('mark.paid') : t('mark.unpaid'), async () => {
      await patch(lessonPath(lesson.id) + '/students/' + st.studentId, { paymentStatus: next });
      haptic('success');
      await reload();
    }, 'secondary'));
  }
  return h('div', { class: 'buttons' }, ...buttons);
}

function attendanceBadge(st) {
  const map = { attended: 'good', missed: 'bad', cancelled: 'muted', unknown: '' };
  return badge(t('attendance.' + st.attendance), map[st.attendance]);
}
function paymentBadge(st) {
  if (st.paymentType === 'free') return badge(t('payment.free'), 'muted');
  if (st.paidFromSubscription) return badge(t('payment.package'), 'good');
  return badge(st.paymentStatus === 'paid' ? t('payment.paid') : t('payment.unpaid') + ' · ' + money(st.priceRub),
    st.paymentStatus === 'paid' ? 'good' : st.attendance === 'attended' ? 'bad' : '');
}

async function lessonPage(ctx) {
  ctx.title(t('lesson.title'));
  const id = ctx.params.id;
  const page = livePage(async () => {
    const lesson = await get(lessonPath(id));
    const subject = lesson.subject && lesson.subject.name;
    const info = section(null,
      h('h2', {}, subject ? h('span', { class: 'dot', dataset: { color: lesson.subject.colorHex } }) : null, subject || t('lesson.untitled'), ' ', statusBadge(lesson)),
      row(t('lesson.when'), `${fmtWhen(lesson.startAt)}–${fmtTime(endOf(lesson))}`),
      row(t('lesson.duration'), t('lesson.minutes', { n: lesson.durationMinutes })),
      row(t('lesson.price'), lesson.isFree ? t('lesson.free') : money(lesson.priceRub)),
      lesson.seriesId ? row(t('lesson.series'), t('lesson.series_yes')) : null,
      lesson.meetingUrl ? row(t('lesson.meeting'), h('a', { href: lesson.meetingUrl, target: '_blank', rel: 'noopener' }, t('lesson.open_meeting'))) : null,
      lesson.teacherNote ? row(t('lesson.note'), lesson.teacherNote) : null,
      lesson.conflicts && lesson.conflicts.length
        ? h('div', { class: 'warn-box', role: 'note' }, t('lesson.conflicts'), ' ',
          ...lesson.conflicts.map((cid, i) => [i ? ', ' : '', link('/lesson/' + cid, {}, t('lesson.conflict_link', { n: i + 1 }))]))
        : null);
    const students = section(t('lesson.students_n', { n: lesson.students.length }),
      lesson.students.length ? null : empty(t('lesson.no_students')),
      ...lesson.students.map((st) => h('div', { class: 'student-row', dataset: { studentId: st.studentId } },
        h('div', { class: 'row' },
          link('/students/' + st.studentId, {}, personName(st)),
          h('span', { class: 'badges' }, attendanceBadge(st), paymentBadge(st))),
        st.studentNoteForTeacher ? h('p', { class: 'hint' }, t('lesson.student_note') + ': ' + st.studentNoteForTeacher) : null,
        markButtons(lesson, st, page.reload))));
    const actionsBox = h('div', { class: 'stack' });
    const confirmPanel = (title, confirmText, run) => {
      const panel = h('div', { class: 'card stack' }, h('p', {}, title), lesson.seriesId ? scopePicker('scope-act') : null);
      panel.append(h('div', { class: 'buttons' },
        actionButton(confirmText, async () => { await run(scopeOf(panel, 'scope-act')); }, 'danger'),
        h('button', { type: 'button', class: 'btn secondary', onclick: () => actionsBox.replaceChildren() }, t('action.back'))));
      actionsBox.replaceChildren(panel);
    };
    const actions = h('div', { class: 'buttons wrap' },
      lesson.status === 'planned' ? link(`/lesson/${id}/move`, { class: 'btn secondary' }, t('lesson.move')) : null,
      link(`/lesson/${id}/edit`, { class: 'btn secondary' }, t('lesson.edit')),
      lesson.status !== 'cancelled' ? h('button', {
        type: 'button', class: 'btn secondary',
        onclick: () => confirmPanel(t('lesson.cancel_q'), t('lesson.cancel'), async (scope) => {
          await patch(lessonPath(id) + qs({ applyToSeries: scope }), { status: 'cancelled', cancelledBy: 'teacher' });
          haptic('warning');
          toast(t('lesson.cancelled_ok'), 'good');
          actionsBox.replaceChildren();
          await page.reload();
        }),
      }, t('lesson.cancel')) : null,
      h('button', {
        type: 'button', class: 'btn danger-text',
        onclick: () => confirmPanel(t('lesson.delete_q'), t('lesson.delete'), async (scope) => {
          await del(lessonPath(id) + qs({ applyToSeries: scope }));
          toast(t('lesson.deleted_ok'), 'good');
          navigate('/', { replace: true });
        }),
      }, t('lesson.delete')));
    const wrap = h('div', { class: 'stack' }, info, students, actions, actionsBox);
    paintDots(wrap);
    return wrap;
  });
  await page.ready;
  return page;
}

function localInputs(iso) {
  const p = iso ? localParts(iso) : null;
  return { date: p ? p.date : today(), time: p ? p.time : '' };
}

async function movePage(ctx) {
  ctx.title(t('lesson.move'));
  const lesson = await get(lessonPath(ctx.params.id));
  const cur = localInputs(lesson.startAt);
  const f = form({
    submitText: t('action.save'),
    children: [
      h('p', { class: 'hint' }, t('lesson.now_at', { when: fmtWhen(lesson.startAt) })),
      field(t('field.date'), h('input', { type: 'date', name: 'date', required: true, value: cur.date })),
      field(t('field.time'), h('input', { type: 'time', name: 'time', required: true, value: cur.time })),
      lesson.seriesId ? scopePicker('scope') : null,
    ],
    async onSubmit(el) {
      await patch(lessonPath(lesson.id) + qs({ applyToSeries: lesson.seriesId ? scopeOf(el, 'scope') : undefined }),
        { startAt: `${el.date.value}T${el.time.value}:00` });
      toast(t('lesson.moved_ok'), 'good');
      navigate('/lesson/' + lesson.id, { replace: true });
    },
  });
  return { el: f, after: f.activateMain };
}

function studentChecks(students, selected) {
  if (!students.length) return h('p', { class: 'hint' }, t('students.none_yet'));
  return h('fieldset', { class: 'checks' }, h('legend', {}, t('field.students')),
    ...students.map((s) => checkbox(personName(s.studentUser), { name: 'student', value: s.studentId, checked: selected.includes(s.studentId) })));
}
function subjectSelect(subjects, current) {
  return h('select', { name: 'subject' }, h('option', { value: '' }, t('lesson.no_subject')),
    ...subjects.map((s) => h('option', { value: s.id, selected: s.id === current }, s.name)));
}
function priceFields(isFree, price) {
  const priceInput = h('input', { type: 'number', name: 'price', min: 0, max: 10000000, step: 1, inputmode: 'numeric', value: String(price || 0), disabled: isFree });
  const free = checkbox(t('lesson.free'), { name: 'free', checked: isFree, onchange: (e) => { priceInput.disabled = e.target.checked; } });
  return [field(t('field.price'), priceInput), free];
}
const picked = (el) => [...el.querySelectorAll('input[name="student"]:checked')].map((i) => i.value);

async function editPage(ctx) {
  ctx.title(t('lesson.edit'));
  const [lesson, subjects, list] = await Promise.all([get(lessonPath(ctx.params.id)), get('/teachers/me/subjects'), get('/teachers/me/students')]);
  const f = form({
    submitText: t('action.save'),
    children: [
      field(t('field.subject'), subjectSelect(subjects, lesson.subjectId)),
      field(t('field.duration'), h('input', { type: 'number', name: 'duration', min: 5, max: 720, required: true, value: String(lesson.durationMinutes) })),
      ...priceFields(lesson.isFree, lesson.priceRub),
      field(t('field.meeting'), h('input', { type: 'url', name: 'meeting', maxlength: 500, value: lesson.meetingUrl || '', placeholder: 'https://' })),
      field(t('field.note'), h('textarea', { name: 'note', rows: 3, maxlength: 5000, value: lesson.teacherNote || '' })),
      studentChecks(list.students, lesson.students.map((s) => s.studentId)),
      lesson.seriesId ? scopePicker('scope') : null,
    ],
    async onSubmit(el) {
      const body = {
        subjectId: el.subject.value || null, durationMinutes: Number(el.duration.value), isFree: el.free.checked,
        meetingUrl: el.meeting.value.trim() || null, teacherNote: el.note.value, studentIds: picked(el),
      };
      if (!el.free.checked) body.priceRub = Number(el.price.value || 0);
      await patch(lessonPath(lesson.id) + qs({ applyToSeries: lesson.seriesId ? scopeOf(el, 'scope') : undefined }), body);
      toast(t('action.saved'), 'good');
      navigate('/lesson/' + lesson.id, { replace: true });
    },
  });
  return { el: f, after: f.activateMain };
}

function nextHour() {
  const hour = (Number(localParts(new Date().toISOString()).time.slice(0, 2)) + 1) % 24;
  return String(hour).padStart(2, '0') + ':00';
}

async function newLessonPage(ctx) {
  ctx.title(t('lesson.new'));
  const [subjects, list] = await Promise.all([get('/teachers/me/subjects'), get('/teachers/me/students')]);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.date || '') ? ctx.query.date : today();
  const preselected = ctx.query.student ? [ctx.query.student] : list.students.length === 1 ? [list.students[0].studentId] : [];
  const days = h('fieldset', { class: 'checks days' }, h('legend', {}, t('field.days')),
    ...[1, 2, 3, 4, 5, 6, 0].map((d) => checkbox(weekdayShort(d), { name: 'dow', value: String(d), checked: d === weekdayOf(date) })));
  days.addEventListener('change', () => { days.dataset.touched = '1'; });
  const endCount = h('input', { type: 'number', name: 'count', min: 1, max: 200, value: '10', 'aria-label': t('field.count') });
  const endDate = h('input', { type: 'date', name: 'endDate', 'aria-label': t('field.end_date'), disabled: true });
  const ends = h('fieldset', { class: 'ends' }, h('legend', {}, t('field.ends')),
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'endKind', value: 'count', checked: true, onchange: () => { endCount.disabled = false; endDate.disabled = true; } }), h('span', {}, t('field.after_n'))), endCount,
    h('label', { class: 'check' }, h('input', { type: 'radio', name: 'endKind', value: 'date', onchange: () => { endCount.disabled = true; endDate.disabled = false; endDate.required = true; } }), h('span', {}, t('field.until'))), endDate);
  const repeatBox = h('div', { class: 'stack', hidden: true }, days, ends);
  const repeat = h('select', { name: 'repeat', onchange: (e) => { repeatBox.hidden = e.target.value === 'none'; } },
    h('option', { value: 'none' }, t('repeat.none')), h('option', { value: 'weekly' }, t('repeat.weekly')), h('option', { value: 'biweekly' }, t('repeat.biweekly')));
  const f = form({
    submitText: t('lesson.create'),
    children: [
      field(t('field.date'), h('input', {
        type: 'date', name: 'date', required: true, value: date,
        // Until the tutor picks days by hand, the series repeats on the start date's weekday.
        onchange: (e) => {
          if (days.dataset.touched || !e.target.value) return;
          const w = String(weekdayOf(e.target.value));
          days.querySelectorAll('input[name="dow"]').forEach((i) => { i.checked = i.value === w; });
        },
      })),
      field(t('field.time'), h('input', { type: 'time', name: 'time', required: true, value: ctx.query.time || nextHour() })),
      field(t('field.duration'), h('input', { type: 'number', name: 'duration', min: 5, max: 720, required: true, value: '60' })),
      field(t('field.subject'), subjectSelect(subjects, null)),
      studentChecks(list.students, preselected),
      ...priceFields(false, 0),
      field(t('field.meeting'), h('input', { type: 'url', name: 'meeting', maxlength: 500, placeholder: 'https://' })),
      field(t('field.repeat'), repeat),
      repeatBox,
    ],
    async onSubmit(el) {
      const body = {
        startAt: `${el.date.value}T${el.time.value}:00`, durationMinutes: Number(el.duration.value),
        subjectId: el.subject.value || undefined, studentIds: picked(el), isFree: el.free.checked,
        meetingUrl: el.meeting.value.trim() || undefined,
      };
      if (!el.free.checked) body.priceRub = Number(el.price.value || 0);
      if (el.repeat.value !== 'none') {
        const dow = [...el.querySelectorAll('input[name="dow"]:checked')].map((i) => Number(i.value));
        body.recurrence = { frequency: el.repeat.value, daysOfWeek: dow.length ? dow : [weekdayOf(el.date.value)] };
        if (el.querySelector('input[name="endKind"]:checked').value === 'date') body.recurrence.endDate = el.endDate.value;
        else body.recurrence.count = Number(el.count.value || 10);
      }
      const created = await post('/teachers/me/lessons', body);
      haptic('success');
      if (created.series) {
        toast(t('lesson.series_created', { n: created.lessonsCreated }), 'good');
        navigate(`/?view=week&d=${el.date.value}`, { replace: true });
      } else {
        toast(t('lesson.created'), 'good');
        navigate('/lesson/' + created.id, { replace: true });
      }
    },
  });
  return { el: f, after: f.activateMain };
}

async function studentsPage(ctx) {
  ctx.title(t('tab.students'));
  const page = livePage(async () => {
    // One request: the cards carry debt, package and last/next lesson.
    const list = await get('/teachers/me/students');
    const head = h('div', { class: 'buttons' }, link('/invite', { class: 'btn primary' }, t('invite.button')),
      list.archivedCount ? link('/students/archived', { class: 'btn secondary' }, t('students.archived_n', { n: list.archivedCount })) : null);
    if (!list.students.length) return [head, empty(t('students.empty'))];
    return [head, h('ul', { class: 'list' }, ...list.students.map((s) => {
      const pkg = s.subscription;
      return h('li', {}, link('/students/' + s.studentId, { class: 'list-item', dataset: { studentId: s.studentId } },
        h('div', { class: 'row' }, h('strong', {}, personName(s.studentUser)),
          s.debt.hasDebt ? badge(t('debt.amount', { amount: money(s.debt.unpaidAmountRub) }), 'bad debt') : badge(t('debt.none'), 'good debt')),
        h('div', { class: 'meta hint' },
          pkg ? h('span', {}, pkg.type === 'lessons' ? t('package.left', { n: pkg.remainingLessons }) : t('package.until', { date: fmtDate(pkg.expiresAt) })) : null,
          h('span', {}, t('students.last', { when: s.lastLessonAt ? fmtDay(s.lastLessonAt) : '—' })),
          h('span', {}, t('students.next', { when: s.nextLessonAt ? fmtWhen(s.nextLessonAt) : '—' })))));
    }))];
  });
  await page.ready;
  return page;
}

async function archivedStudentsPage(ctx) {
  ctx.title(t('students.archived'));
  const page = livePage(async () => {
    const list = await get('/teachers/me/students/archived');
    const rows = list.students || list;
    if (!rows.length) return empty(t('students.archived_empty'));
    return h('ul', { class: 'list' }, ...rows.map((s) => h('li', { class: 'list-item' },
      h('div', { class: 'row' }, h('strong', {}, personName(s.studentUser)),
        actionButton(t('action.restore'), async () => { await post(studentPath(s.studentId) + '/restore'); toast(t('students.restored'), 'good'); await page.reload(); })))));
  });
  await page.ready;
  return page;
}

function packageBox(sid, sub, reload) {
  const box = h('div', { class: 'stack' });
  if (sub) {
    box.append(
      row(t('package.name'), sub.name || t(sub.type === 'date' ? 'package.type_date' : 'package.type_lessons')),
      sub.type === 'lessons' ? row(t('package.remaining'), `${sub.remainingLessons} / ${sub.totalLessons}`) : null,
      sub.expiresAt ? row(t('package.expires'), fmtDate(sub.expiresAt)) : null,
      sub.isExpired ? badge(t('package.expired'), 'bad') : null,
      h('div', { class: 'buttons' }, actionButton(t('package.remove'), async () => {
        if (!(await confirmDialog(t('package.remove_q')))) return;
        await del('/teachers/me/subscriptions/' + sub.id);
        await reload();
      }, 'danger-text')));
    return box;
  }
  const type = h('select', { name: 'type' }, h('option', { value: 'lessons' }, t('package.type_lessons')), h('option', { value: 'date' }, t('package.type_date')));
  const f = form({
    submitText: t('package.create'),
    children: [
      field(t('package.type'), type),
      field(t('package.total'), h('input', { type: 'number', name: 'total', min: 1, max: 1000, value: '8' })),
      field(t('package.expires'), h('input', { type: 'date', name: 'expires' })),
      field(t('package.name'), h('input', { name: 'name', maxlength: 100 })),
    ],
    async onSubmit(el) {
      const body = { type: el.type.value, name: el.name.value.trim() || undefined };
      if (el.type.value === 'lessons') body.totalLessons = Number(el.total.value);
      if (el.expires.value) body.expiresAt = el.expires.value + 'T23:59:59';
      await post(studentPath(sid) + '/subscription', body);
      toast(t('package.created'), 'good');
      await reload();
    },
  });
  box.append(h('p', { class: 'hint' }, t('package.none')), f);
  return box;
}

async function studentPage(ctx) {
  const sid = ctx.params.id;
  ctx.title(t('student.title'));
  const page = livePage(async () => {
    const [s, lessons, parents] = await Promise.all([
      get(studentPath(sid)), get(studentPath(sid) + '/lessons'), get(studentPath(sid) + '/parents'),
    ]);
    // Only what the card shows: the unpaid lessons when there is a debt, removed packages when none is active.
    const [debt, archivedSubs] = await Promise.all([
      s.debt.hasDebt ? get(studentPath(sid) + '/debt') : { lessons: [] },
      s.subscription ? [] : get(studentPath(sid) + '/subscriptions/archived').catch(() => []),
    ]);
    ctx.title(personName(s.studentUser));
    const now = new Date().toISOString();
    const upcoming = lessons.filter((l) => l.startAt >= now && l.status === 'planned').sort((a, b) => a.startAt.localeCompare(b.startAt)).slice(0, 5);
    const past = lessons.filter((l) => l.startAt < now).sort((a, b) => b.startAt.localeCompare(a.startAt)).slice(0, 10);
    const lessonItem = (l) => h('li', {}, link('/lesson/' + l.id, { class: 'list-item' },
      h('div', { class: 'row' }, h('span', {}, fmtWhen(l.startAt) + (l.subject && l.subject.name ? ' · ' + l.subject.name : '')),
        h('span', { class: 'badges' }, l.status === 'done' ? attendanceBadge(l) : statusBadge(l), l.status === 'done' && l.attendance === 'attended' ? paymentBadge(l) : null))));
    const notes = form({
      submitText: t('action.save'),
      children: [field(t('student.notes'), h('textarea', { name: 'notes', rows: 3, maxlength: 2000, value: (s.customFields && s.customFields.notes) || '' }))],
      async onSubmit(el) {
        await patch(studentPath(sid), { customFields: { ...(s.customFields || {}), notes: el.notes.value } });
        toast(t('action.saved'), 'good');
      },
    });
    const st = s.stats;
    return [
      section(null,
        h('div', { class: 'row' }, h('strong', { class: 'big' }, personName(s.studentUser)), s.studentUser.username ? h('span', { class: 'hint' }, '@' + s.studentUser.username) : null),
        h('div', { class: 'kpis' },
          h('div', { class: 'kpi' + (s.debt.hasDebt ? ' bad' : ''), dataset: { kpi: 'debt' } }, h('b', {}, money(s.debt.unpaidAmountRub)), h('small', {}, t('debt.title'))),
          h('div', { class: 'kpi' }, h('b', {}, String(st.totalLessonsAttended)), h('small', {}, t('stats.attended'))),
          h('div', { class: 'kpi' }, h('b', {}, st.attendanceRate + '%'), h('small', {}, t('stats.rate')))),
        h('div', { class: 'buttons' }, link('/new?student=' + sid, { class: 'btn primary' }, t('lesson.new')))),
      debt.lessons && debt.lessons.length ? section(t('debt.lessons'), h('ul', { class: 'list' }, ...debt.lessons.map((d) => h('li', {}, link('/lesson/' + d.lessonId, { class: 'list-item' },
        h('div', { class: 'row' }, h('span', {}, fmtWhen(d.startAt) + (d.subjectName ? ' · ' + d.subjectName : '')), h('span', {}, money(d.priceRub)))))))) : null,
      section(t('student.upcoming'), upcoming.length ? h('ul', { class: 'list' }, ...upcoming.map(lessonItem)) : empty(t('student.no_upcoming'))),
      section(t('student.history'), past.length ? h('ul', { class: 'list' }, ...past.map(lessonItem)) : empty(t('student.no_history'))),
      section(t('stats.title'),
        row(t('stats.planned'), st.totalLessonsPlanned), row(t('stats.attended'), st.totalLessonsAttended),
        row(t('stats.missed'), st.totalLessonsMissed), row(t('stats.cancelled_student'), st.cancelledByStudent),
        row(t('stats.cancelled_teacher'), st.cancelledByTeacher)),
      section(t('package.title'), packageBox(sid, s.subscription, page.reload),
        archivedSubs.length ? h('div', { class: 'stack' }, h('h3', {}, t('package.archived')),
          ...archivedSubs.map((a) => h('div', { class: 'row' }, h('span', {}, (a.name || t('package.type_' + a.type)) + (a.deletedAt ? ' · ' + fmtDate(a.deletedAt) : '')),
            actionButton(t('action.restore'), async () => { await post('/teachers/me/subscriptions/' + a.id + '/restore'); await page.reload(); })))) : null),
      section(t('student.notes'), notes),
      section(t('student.parents'),
        parents.length ? h('ul', { class: 'list' }, ...parents.map((p) => h('li', { class: 'list-item' }, h('div', { class: 'row' }, h('span', {}, personName(p.parentUser)),
          checkbox(t('student.parent_notify'), {
            checked: p.notificationsEnabled,
            onchange: async (e) => {
              try { await patch(studentPath(sid) + '/parents/' + p.parentId, { notificationsEnabled: e.target.checked }); } catch (err) { e.target.checked = !e.target.checked; toast(t('err.generic', { code: err.code }), 'bad'); }
            },
          }))))) : h('p', { class: 'hint' }, t('student.no_parents')),
        s.parentInvite ? h('div', { class: 'buttons' }, actionButton(t('student.invite_parent'), async () => {
          const r = await shareLink(s.parentInvite.url, t('invite.parent_text'));
          if (r === 'copied') toast(t('invite.copied'), 'good');
        })) : null),
      h('div', { class: 'buttons' }, actionButton(t('student.archive'), async () => {
        if (!(await confirmDialog(t('student.archive_q')))) return;
        await del(studentPath(sid) + qs({ deleteIndividualLessons: 'false' }));
        toast(t('student.archived_ok'), 'good');
        navigate('/students', { replace: true });
      }, 'danger-text')),
    ];
  });
  await page.ready;
  const reloadAll = page.reload;
  return { el: page.el, reload: reloadAll, after: () => paintDots(page.el) };
}

async function subjectsPage(ctx) {
  ctx.title(t('subjects.title'));
  const page = livePage(async () => {
    const [subjects, archived] = await Promise.all([get('/teachers/me/subjects'), get('/teachers/me/subjects/archived')]);
    const add = form({
      submitText: t('subjects.add'),
      children: [
        field(t('field.name'), h('input', { name: 'name', required: true, maxlength: 100 })),
        field(t('field.color'), h('input', { type: 'color', name: 'color', value: '#3390ec' })),
      ],
      async onSubmit(el) {
        await post('/teachers/me/subjects', { name: el.name.value.trim(), colorHex: el.color.value });
        toast(t('subjects.added'), 'good');
        await page.reload();
      },
    });
    const item = (s) => {
      const name = h('input', { name: 'n', value: s.name, maxlength: 100, 'aria-label': t('field.name') });
      return h('li', { class: 'list-item row' }, h('span', { class: 'dot', dataset: { color: s.colorHex } }), name,
        actionButton(t('action.save'), async () => { await patch('/teachers/me/subjects/' + s.id, { name: name.value.trim() }); toast(t('action.saved'), 'good'); }),
        actionButton(t('action.archive'), async () => { await del('/teachers/me/subjects/' + s.id); await page.reload(); }, 'danger-text'));
    };
    const out = h('div', { class: 'stack' },
      section(null, subjects.length ? h('ul', { class: 'list' }, ...subjects.map(item)) : empty(t('subjects.empty'))),
      section(t('subjects.add'), add),
      archived.length ? section(t('subjects.archived'), h('ul', { class: 'list' }, ...archived.map((s) => h('li', { class: 'list-item row' }, h('span', {}, s.name),
        actionButton(t('action.restore'), async () => { await post('/teachers/me/subjects/' + s.id + '/restore'); await page.reload(); }))))) : null);
    paintDots(out);
    return out;
  });
  await page.ready;
  return { el: page.el };
}

async function invitePage(ctx) {
  ctx.title(t('invite.title'));
  const inv = await get('/teachers/me/invite-link');
  return section(null,
    h('p', {}, t('invite.lead')),
    h('p', { class: 'code' }, h('code', { dataset: { inviteCode: inv.referralCode } }, inv.referralCode)),
    h('div', { class: 'buttons' },
      actionButton(t('invite.share'), async () => {
        const r = await shareLink(inv.fallbackUrl, t('invite.text'));
        if (r === 'copied') toast(t('invite.copied'), 'good');
      }, 'primary'),
      actionButton(t('invite.copy'), async () => { await navigator.clipboard.writeText(inv.fallbackUrl); toast(t('invite.copied'), 'good'); })),
    row(t('invite.telegram_link'), h('span', { class: 'mono' }, inv.fallbackUrl)),
    row(t('invite.web_link'), h('span', { class: 'mono' }, inv.inviteUrl)));
}

export function registerTutor(route) {
  route('/', agenda, { tab: 'agenda' });
  route('/lesson/:id', lessonPage, { back: '/' });
  route('/lesson/:id/move', movePage, { back: '/' });
  route('/lesson/:id/edit', editPage, { back: '/' });
  route('/new', newLessonPage, { tab: 'new', back: '/' });
  route('/students', studentsPage, { tab: 'students' });
  route('/students/archived', archivedStudentsPage, { tab: 'students', back: '/students' });
  route('/students/:id', studentPage, { tab: 'students', back: '/students' });
  route('/subjects', subjectsPage, { tab: 'profile', back: '/profile' });
  route('/invite', invitePage, { tab: 'students', back: '/students' });
  void go;
}
