// After a sign-in: the role's pages and tabs, the zone, the realtime socket, then the current route.
import { session, saveSession } from './api.js';
import { setZone, t } from './i18n.js';
import { currentPath, navigate, route } from './router.js';
import { h } from './ui.js';
import { connect } from './ws.js';
import { registerTutor } from './pages/tutor.js';
import { registerStudent } from './pages/student.js';
import { registerParent } from './pages/parent.js';
import { registerProfile } from './pages/profile.js';

const TABS = {
  teacher: [['agenda', '/', 'tab.agenda'], ['students', '/students', 'tab.students'], ['new', '/new', 'tab.new'], ['profile', '/profile', 'tab.profile']],
  student: [['lessons', '/', 'tab.lessons'], ['progress', '/progress', 'tab.progress'], ['profile', '/profile', 'tab.profile']],
  parent: [['children', '/', 'tab.children'], ['profile', '/profile', 'tab.profile']],
};

function renderTabs() {
  const nav = document.getElementById('tabs');
  const tabs = TABS[session.role] || [];
  nav.hidden = tabs.length === 0;
  nav.replaceChildren(...tabs.map(([tab, path, key]) => h('a', { href: '/app' + path, 'data-link': true, dataset: { tab } }, t(key))));
}

// Routes are registered once per page load: a role switch reloads the page.
let registered = null;
function registerRolePages() {
  if (registered === session.role) return;
  registered = session.role;
  if (session.role === 'teacher') registerTutor(route);
  if (session.role === 'student') registerStudent(route);
  if (session.role === 'parent') registerParent(route);
  registerProfile(route);
}

export async function signedIn(body, { path } = {}) {
  saveSession(body);
  setZone(session.user && session.user.timezone);
  registerRolePages();
  renderTabs();
  connect();
  const here = currentPath().startsWith('/invite/') ? '/' : currentPath() + location.search;
  await navigate(path || here, { replace: true });
}
