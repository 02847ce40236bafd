// Sign-in and refresh loop. The key is kept in sessionStorage (this tab only) and sent as
// Authorization: Bearer to /ui/api; it is never put in a URL or a cookie.
'use strict';

(() => {
  const STORAGE = 'llmrouter.dashboard.key';
  const REFRESH_MS = 5000;
  const $ = (sel) => document.querySelector(sel);
  let key = null;
  let role = null;
  let timer = null;
  let generation = 0;

  class ApiError extends Error {
    constructor(status) {
      super(`HTTP ${status}`);
      this.status = status;
    }
  }

  async function api(path) {
    const res = await fetch(`/ui/api/${path}`, { headers: { Authorization: `Bearer ${key}` }, cache: 'no-store', credentials: 'omit' });
    if (!res.ok) throw new ApiError(res.status);
    return res.json();
  }

  function showSignIn(message) {
    generation++;
    clearTimeout(timer);
    key = null;
    role = null;
    sessionStorage.removeItem(STORAGE);
    $('#dashboard').hidden = true;
    $('#nav').hidden = true;
    $('#session').hidden = true;
    $('#sign-in-view').hidden = false;
    $('#sign-in-error').textContent = message || '';
    // Nothing of the previous key's view stays in the page, not even hidden.
    window.Charts.reset();
    for (const id of ['#backend-list', '#usage-tiles', '#usage-keys', '#usage-models', '#models', '#request-list', '#usage-scope', '#who']) {
      $(id).replaceChildren();
    }
    $('#key').value = '';
    $('#key').focus();
  }

  async function signIn(candidate) {
    key = candidate;
    let me;
    try {
      me = await api('me');
      role = me.role;
    } catch (err) {
      showSignIn(err instanceof ApiError
        ? (err.status === 429 ? 'Too many failed attempts from here: wait a minute.' : 'That key was not accepted.')
        : 'Could not reach the router.');
      return;
    }
    sessionStorage.setItem(STORAGE, candidate);
    document.body.dataset.role = role;
    $('#who').textContent = role === 'admin' ? 'Signed in as admin' : `Signed in as ${me.key}`;
    for (const node of document.querySelectorAll('[data-admin-only]')) node.hidden = role !== 'admin';
    for (const node of document.querySelectorAll('[data-member-only]')) node.hidden = role === 'admin';
    $('#sign-in-view').hidden = true;
    $('#dashboard').hidden = false;
    $('#nav').hidden = false;
    $('#session').hidden = false;
    $('#sign-in-error').textContent = '';
    if (role !== 'admin') window.Views.models($('#models'), me.models);
    $('#main').focus();
    refresh(++generation);
  }

  async function refresh(gen) {
    clearTimeout(timer);
    try {
      const errorsOnly = $('#errors-only').checked ? '?errors=1' : '';
      const [backends, usage, requests] = await Promise.all([
        role === 'admin' ? api('backends') : null,
        api('usage'),
        api(`requests${errorsOnly}`),
      ]);
      if (gen !== generation) return;
      if (backends) window.Views.pools($('#pool-list'), backends);
      if (backends) window.Views.backends($('#backend-list'), backends);
      window.Views.usage(document, usage, role);
      window.Views.requests($('#request-list'), requests);
      $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (gen !== generation) return;
      if (err instanceof ApiError && err.status === 401) return showSignIn('The key is no longer accepted.');
      $('#updated').textContent = 'cannot reach the router, retrying…';
    }
    if (gen === generation) timer = setTimeout(() => refresh(gen), REFRESH_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#sign-in').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('#key').value.trim();
      if (value) signIn(value);
    });
    $('#sign-out').addEventListener('click', () => showSignIn(''));
    $('#errors-only').addEventListener('change', () => refresh(generation));
    // Back to a visible tab: refresh at once instead of waiting for the next tick.
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && key) refresh(generation);
    });
    const saved = sessionStorage.getItem(STORAGE);
    if (saved) signIn(saved);
    else $('#key').focus();
  });
})();
