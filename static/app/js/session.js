// The page's configuration (rendered by Django) and signing out; imported by pages, imports no page.
import { saveSession } from './api.js';
import { disconnect } from './ws.js';

export const config = JSON.parse(document.getElementById('tc-config').textContent);

export function signOut() {
  saveSession(null);
  disconnect();
  location.replace('/app/');
}
