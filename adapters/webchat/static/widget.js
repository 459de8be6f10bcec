/* omnichannel web chat widget - plain JS, no dependencies. */
(function () {
  'use strict';
  if (window.Omnichannel && window.Omnichannel._omni) return;

  // base URL from our own <script src>
  var me = document.currentScript || (function () {
    var s = document.getElementsByTagName('script');
    for (var i = s.length - 1; i >= 0; i--) if (/\/widget\.js(?:[?#]|$)/.test(s[i].src)) return s[i];
    return null;
  })();
  var base;
  try {
    var u = new URL(me && me.src ? me.src : location.href, location.href);
    base = me && me.src ? u.origin + u.pathname.replace(/\/[^\/]*$/, '') : u.origin;
  } catch (e) { base = location.protocol + '//' + location.host; }
  var wsBase = base.replace(/^http/, 'ws');

  var KEY = 'omnichannel.session', MAX = 2000, TYPING_SEND_MS = 2000, TYPING_SHOW_MS = 8000;
  var SVG = 'http://www.w3.org/2000/svg';
  var ICON_CHAT = 'M6 3h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 4v-4H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z';
  var ICON_CLOSE = 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z';
  var ICON_SEND = 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z';
  var ROLES = { customer: 1, agent: 1, staff: 1, system: 1 };

  // The widget's words: English here, replaced by the server's `labels` for the conversation's
  // language (with the session, the history frame, and a reply when the language changed).
  var L = {
    open: 'Open chat', close: 'Close chat', panel: '{name} chat', staff_banner: "You're chatting with our team",
    log: 'Conversation', input: 'Type your message', placeholder: 'Type your message\u2026', send: 'Send message',
    team: '{name} team', support_team: 'Support team', sending: 'Sending\u2026', sent: '\u2713 Sent', not_sent: 'Not sent',
    suggested: 'Suggested replies', typing: '{name} is typing\u2026', staff_typing: 'Someone from our team is typing\u2026',
    error: 'Something went wrong. Please try again.', connecting: 'Connecting\u2026', reconnecting: 'Reconnecting\u2026'
  };
  var LANG = str(navigator.language, '').slice(0, 35), lang = '';
  function t(k, name) { return str(L[k], '').replace('{name}', name == null ? '' : name); }

  var cfg = { brand_name: '', assistant_name: 'Assistant', colour: '#2563eb', avatar_url: '', greeting: '', person_label: 'Talk to a person' };

  // state
  var ws = null, ready = false, connecting = false, everConnected = false, wanted = false;
  var attempt = 0, authFails = 0, retryTimer = null, sessionPromise = null, memSession = null;
  var pending = []; // [{cid, frame, label}] not yet acknowledged, in send order
  var openOnStart = false, owner = 'agent', isOpen = false, lastTypingSent = 0, typingTimer = null, errorTimer = null;
  var launcher, badge, panel, avatar, titleEl, subEl, statusEl, connEl, log, typingEl, typingText, errorEl, personBtn, countEl, input, sendBtn, closeBtn;

  // CSS (static, no data)
  var CSS = [
    '#omni-launcher,#omni-panel,#omni-panel *{box-sizing:border-box}',
    '#omni-panel[hidden],#omni-panel [hidden],#omni-launcher [hidden]{display:none!important}',
    '#omni-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:58px;height:58px;margin:0;padding:0;border:0;border-radius:50%;',
    'background:var(--omni-c);color:#fff;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.28);display:flex;align-items:center;justify-content:center;',
    'opacity:0;transition:opacity .25s,transform .15s}',
    '#omni-launcher.omni-ready{opacity:1}#omni-launcher:hover{transform:scale(1.06)}',
    '#omni-launcher svg{width:28px;height:28px;fill:currentColor}',
    '.omni-badge{position:absolute;top:1px;right:1px;width:15px;height:15px;border-radius:50%;background:#dc2626;border:2px solid #fff}',
    '#omni-panel{position:fixed;right:20px;bottom:90px;z-index:2147483001;width:380px;height:600px;max-height:calc(100vh - 110px);',
    'display:flex;flex-direction:column;overflow:hidden;background:#fff;color:#1f2937;border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.28);',
    'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;text-align:left;letter-spacing:normal;animation:omni-in .18s ease-out}',
    '@keyframes omni-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}',
    '.omni-head{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--omni-c);color:#fff;flex:none}',
    '.omni-avatar{width:38px;height:38px;border-radius:50%;object-fit:cover;background:#fff;flex:none}',
    '.omni-titles{flex:1;min-width:0}',
    '.omni-title{margin:0;font-size:16px;font-weight:600;line-height:1.25;color:#fff;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.omni-sub{font-size:12px;line-height:1.3;color:#fff;opacity:.92;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.omni-close{flex:none;width:38px;height:38px;margin:0;padding:0;border:0;border-radius:50%;background:transparent;color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center}',
    '.omni-close:hover{background:rgba(255,255,255,.18)}.omni-close svg{width:22px;height:22px;fill:currentColor}',
    '#omni-status{flex:none;padding:8px 16px;font-size:13px;background:#fef3c7;color:#78350f;border-bottom:1px solid #fde68a}',
    '#omni-conn{flex:none;padding:6px 16px;font-size:12px;text-align:center;background:#f3f4f6;color:#374151;border-bottom:1px solid #e5e7eb}',
    '#omni-log{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f8fafc}',
    '.omni-msg{display:flex;flex-direction:column;align-items:flex-start;align-self:flex-start;max-width:85%}',
    '.omni-msg[data-role=customer]{align-self:flex-end;align-items:flex-end}',
    '.omni-msg[data-role=system]{align-self:center;align-items:center;max-width:95%}',
    '.omni-text{display:block;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;word-wrap:break-word;',
    'background:#fff;color:#111827;border:1px solid #e5e7eb;border-bottom-left-radius:5px}',
    '.omni-msg[data-role=customer] .omni-text{background:var(--omni-c);color:#fff;border-color:transparent;border-radius:16px;border-bottom-right-radius:5px}',
    '.omni-msg[data-role=staff] .omni-text{background:#ecfdf5;border-color:#a7f3d0}',
    '.omni-msg[data-role=system] .omni-text{background:transparent;border:0;padding:2px 8px;color:#4b5563;font-size:13px;text-align:center}',
    '.omni-msg[data-status=pending] .omni-text{opacity:.72}',
    '.omni-text a{color:inherit;text-decoration:underline}',
    '.omni-who,.omni-meta{font-size:11px;line-height:1.3;color:#4b5563;padding:2px 6px}',
    '.omni-msg[data-status=failed] .omni-meta{color:#b91c1c}',
    '.omni-buttons{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}',
    '.omni-btn{font:inherit;font-size:14px;line-height:1.3;margin:0;padding:7px 13px;border-radius:999px;border:1.5px solid var(--omni-c);',
    'background:#fff;color:var(--omni-c);cursor:pointer;text-align:center}',
    '.omni-btn:hover{background:var(--omni-c);color:#fff}',
    '#omni-typing{flex:none;padding:4px 16px 6px;font-size:12px;color:#4b5563;background:#f8fafc}',
    '#omni-error{flex:none;padding:6px 16px;font-size:13px;background:#fef2f2;color:#991b1b;border-top:1px solid #fecaca}',
    '.omni-foot{flex:none;padding:6px 10px 10px;background:#fff;border-top:1px solid #e5e7eb}',
    '.omni-tools{display:flex;align-items:center;justify-content:space-between;gap:8px;min-height:28px}',
    '#omni-person{font:inherit;font-size:13px;margin:0;padding:4px 6px;border:0;border-radius:6px;background:none;color:var(--omni-c);text-decoration:underline;cursor:pointer}',
    '.omni-count{font-size:11px;color:#4b5563}',
    '.omni-row{display:flex;align-items:flex-end;gap:8px;margin-top:2px}',
    '#omni-input{flex:1;min-width:0;height:44px;min-height:44px;max-height:120px;margin:0;padding:10px 13px;resize:none;font:inherit;font-size:16px;line-height:1.4;',
    'color:#111827;background:#fff;border:1px solid #9ca3af;border-radius:14px;box-shadow:none}',
    '#omni-input::placeholder{color:#6b7280}',
    '#omni-send{flex:none;width:44px;height:44px;margin:0;padding:0;border:0;border-radius:50%;background:var(--omni-c);color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center}',
    '#omni-send svg{width:20px;height:20px;fill:currentColor}',
    '#omni-launcher:focus{outline:none}#omni-launcher:focus-visible{outline:3px solid #111827;outline-offset:3px;box-shadow:0 0 0 3px #fff,0 4px 16px rgba(0,0,0,.28)}',
    '#omni-panel :focus{outline:none}',
    '#omni-panel :focus-visible,#omni-input:focus{outline:3px solid var(--omni-c);outline-offset:2px}',
    '#omni-log:focus-visible{outline-offset:-3px}',
    '.omni-head :focus-visible{outline-color:#fff!important}',
    '.omni-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}',
    '@media (max-width:479.98px),(max-height:500px){#omni-panel{top:0;right:0;bottom:0;left:0;width:auto;height:auto;max-height:none;border-radius:0}}',
    '@media (prefers-reduced-motion:reduce){#omni-launcher,#omni-panel{animation:none!important;transition:none!important}}'
  ].join('\n');

  // helpers
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function icon(d) {
    var s = document.createElementNS(SVG, 'svg'), p = document.createElementNS(SVG, 'path');
    s.setAttribute('viewBox', '0 0 24 24'); s.setAttribute('aria-hidden', 'true'); s.setAttribute('focusable', 'false');
    p.setAttribute('d', d); s.appendChild(p);
    return s;
  }
  function uid() {
    var c = window.crypto;
    try { if (c && c.randomUUID) return c.randomUUID(); } catch (e) { /* insecure context */ }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var x = Array.prototype.map.call(b, function (n) { return (n + 256).toString(16).slice(1); }).join('');
    return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
  }
  function str(v, d) { return typeof v === 'string' ? v : (v == null ? d : String(v)); }

  // Darken the brand colour until white text on it reaches WCAG AA (4.5:1).
  function safeColour(c) {
    if (!/^#[0-9a-f]{6}$/i.test(c || '')) return '#2563eb';
    var rgb = [1, 3, 5].map(function (i) { return parseInt(c.substr(i, 2), 16); });
    function lum(v) {
      var l = v.map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
      return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    }
    for (var n = 0; n < 40 && 1.05 / (lum(rgb) + 0.05) < 4.5; n++) rgb = rgb.map(function (x) { return Math.floor(x * 0.92); });
    return '#' + rgb.map(function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  // Text into an element safely; bare http(s) URLs become links (built with DOM APIs, never innerHTML).
  function fillText(el, text) {
    text = str(text, '');
    var re = /https?:\/\/[^\s<>"]+/g, last = 0, m;
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]'"]+$/, '');
      if (url.length < 10) continue;
      el.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement('a');
      a.href = url; a.textContent = url; a.target = '_blank'; a.rel = 'noopener noreferrer nofollow';
      el.appendChild(a);
      last = m.index + url.length; re.lastIndex = last;
    }
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  // storage
  function loadSession() {
    try {
      var raw = localStorage.getItem(KEY);
      if (raw) { var s = JSON.parse(raw); if (s && s.token) return s; }
      return null;
    } catch (e) { return memSession; }
  }
  function saveSession(s) { memSession = s; try { localStorage.setItem(KEY, JSON.stringify(s)); } catch (e) { /* private mode */ } }
  function clearSession() { memSession = null; try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ } }

  // DOM
  function build() {
    var style = h('style', { id: 'omni-style' });
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);

    launcher = h('button', { id: 'omni-launcher', type: 'button', 'aria-label': t('open'), 'aria-expanded': 'false', 'aria-controls': 'omni-panel' });
    launcher.appendChild(icon(ICON_CHAT));
    badge = h('span', { class: 'omni-badge', hidden: true, 'aria-hidden': 'true' });
    launcher.appendChild(badge);

    avatar = h('img', { class: 'omni-avatar', alt: '', hidden: true });
    avatar.addEventListener('error', function () { avatar.hidden = true; });
    titleEl = h('h2', { class: 'omni-title', id: 'omni-title', text: cfg.assistant_name });
    subEl = h('div', { class: 'omni-sub', hidden: true });
    closeBtn = h('button', { class: 'omni-close', id: 'omni-close', type: 'button', 'aria-label': t('close') }, [icon(ICON_CLOSE)]);
    closeBtn.addEventListener('click', function () { close(true); });

    statusEl = h('div', { id: 'omni-status', role: 'status', hidden: true, text: t('staff_banner') });
    connEl = h('div', { id: 'omni-conn', role: 'status', hidden: true, 'data-state': 'idle' });
    log = h('div', { id: 'omni-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': t('log'), tabindex: '0' });
    typingText = h('span');
    typingEl = h('div', { id: 'omni-typing', hidden: true }, [typingText]);
    errorEl = h('div', { id: 'omni-error', role: 'alert', hidden: true });

    personBtn = h('button', { id: 'omni-person', type: 'button', text: person() });
    personBtn.addEventListener('click', function () {
      queue({ type: 'button', value: 'handoff', label: person() }, person());
      input.focus();
    });
    countEl = h('span', { class: 'omni-count', hidden: true, 'aria-live': 'polite' });
    input = h('textarea', { id: 'omni-input', rows: '1', maxlength: String(MAX), 'aria-label': t('input'), placeholder: t('placeholder'), autocomplete: 'off' });
    sendBtn = h('button', { id: 'omni-send', type: 'button', 'aria-label': t('send') }, [icon(ICON_SEND)]);
    sendBtn.addEventListener('click', function () { sendText(); input.focus(); });

    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendText(); }
    });
    input.addEventListener('input', function () {
      if (input.value.length > MAX) input.value = input.value.slice(0, MAX);
      resize(); updateCount();
      var now = Date.now();
      if (ready && input.value.trim() && now - lastTypingSent >= TYPING_SEND_MS) { lastTypingSent = now; wsSend({ type: 'typing' }); }
    });

    panel = h('div', { id: 'omni-panel', role: 'dialog', 'aria-label': t('panel', cfg.assistant_name), hidden: true, 'data-owner': 'agent' }, [
      h('div', { class: 'omni-head' }, [avatar, h('div', { class: 'omni-titles' }, [titleEl, subEl]), closeBtn]),
      statusEl, connEl, log, typingEl, errorEl,
      h('div', { class: 'omni-foot' }, [
        h('div', { class: 'omni-tools' }, [personBtn, countEl]),
        h('div', { class: 'omni-row' }, [input, sendBtn])
      ])
    ]);
    panel.addEventListener('keydown', onPanelKey);
    launcher.addEventListener('click', function () { if (isOpen) close(true); else open(); });

    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    applyColour();
    setTimeout(function () { launcher.classList.add('omni-ready'); }, 1500);
  }

  function applyColour() {
    var c = safeColour(cfg.colour);
    launcher.style.setProperty('--omni-c', c);
    panel.style.setProperty('--omni-c', c);
  }

  function applyConfig(c) {
    c = c && typeof c === 'object' ? c : {};
    ['brand_name', 'assistant_name', 'colour', 'avatar_url', 'greeting', 'person_label'].forEach(function (k) {
      if (typeof c[k] === 'string' && (c[k] || k === 'avatar_url' || k === 'greeting' || k === 'brand_name')) cfg[k] = c[k];
    });
    applyColour();
    titleEl.textContent = cfg.assistant_name;
    subEl.textContent = cfg.brand_name; subEl.hidden = !cfg.brand_name;
    relabel();
    if (cfg.avatar_url) {
      try { avatar.src = new URL(cfg.avatar_url, base + '/').href; avatar.hidden = false; } catch (e) { avatar.hidden = true; }
    } else avatar.hidden = true;
    showGreeting();
    launcher.classList.add('omni-ready');
  }

  function person() { return L.person || cfg.person_label; }
  // The server's labels for language `l` (unknown keys ignored, missing ones keep English).
  function applyLabels(l, labels) {
    if (!labels || typeof labels !== 'object') return;
    for (var k in labels) if (typeof labels[k] === 'string' && labels[k]) L[k] = labels[k];
    lang = str(l, '');
    if (typeof labels.greeting === 'string' && labels.greeting) cfg.greeting = labels.greeting;
    if (panel) { relabel(); showGreeting(); }
  }
  function relabel() {
    if (lang) panel.setAttribute('lang', lang);
    launcher.setAttribute('aria-label', t('open'));
    closeBtn.setAttribute('aria-label', t('close'));
    panel.setAttribute('aria-label', t('panel', cfg.assistant_name));
    statusEl.textContent = t('staff_banner');
    log.setAttribute('aria-label', t('log'));
    input.setAttribute('aria-label', t('input'));
    input.setAttribute('placeholder', t('placeholder'));
    sendBtn.setAttribute('aria-label', t('send'));
    personBtn.textContent = person();
    if (!connEl.hidden) setConn();
  }

  function resize() {
    input.style.height = 'auto';
    input.style.height = Math.min(Math.max(input.scrollHeight + 2, 44), 120) + 'px';
  }
  function updateCount() {
    var n = input.value.length;
    countEl.hidden = n < MAX - 200;
    countEl.textContent = n + ' / ' + MAX;
  }

  // open / close
  function isSmall() { return window.matchMedia && window.matchMedia('(max-width:479.98px),(max-height:500px)').matches; }

  function setLauncherIcon(d) {
    launcher.replaceChild(icon(d), launcher.querySelector('svg'));
  }
  function open() {
    if (!panel) { openOnStart = true; return; }
    if (!isOpen) {
      isOpen = true;
      panel.hidden = false;
      panel.setAttribute('data-open', 'true');
      launcher.setAttribute('aria-expanded', 'true');
      setLauncherIcon(ICON_CLOSE);
      badge.hidden = true;
      showGreeting();
      connect();
      setConn();
      scrollBottom(true);
    }
    input.focus();
  }
  function close(restoreFocus) {
    if (!panel || !isOpen) return;
    var inside = panel.contains(document.activeElement);
    isOpen = false;
    panel.hidden = true;
    panel.setAttribute('data-open', 'false');
    launcher.setAttribute('aria-expanded', 'false');
    setLauncherIcon(ICON_CHAT);
    if (restoreFocus || inside) launcher.focus();
  }
  function onPanelKey(e) {
    if (e.key === 'Escape' || e.key === 'Esc') { e.preventDefault(); e.stopPropagation(); close(true); return; }
    if (e.key === 'Tab' && isSmall()) { // full-screen: keep focus inside the panel
      var f = Array.prototype.filter.call(panel.querySelectorAll('button,textarea,a[href],[tabindex="0"]'), function (x) {
        return !x.disabled && x.getClientRects().length;
      });
      if (!f.length) return;
      var first = f[0], last = f[f.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  }

  // rendering
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollBottom(force) { if (force || nearBottom()) log.scrollTop = log.scrollHeight; }

  function msgEl(role, text) {
    var e = h('div', { class: 'omni-msg', 'data-role': role });
    if (role === 'staff') e.appendChild(h('div', { class: 'omni-who', text: cfg.brand_name ? t('team', cfg.brand_name) : t('support_team') }));
    var t = h('div', { class: 'omni-text' });
    fillText(t, text);
    e.appendChild(t);
    return e;
  }
  function setMeta(e, text) {
    var m = e.querySelector('.omni-meta');
    if (!m) { m = h('div', { class: 'omni-meta' }); e.appendChild(m); }
    m.textContent = text;
  }
  function serverEl(m) {
    var role = ROLES[m.role] ? m.role : 'agent';
    var e = msgEl(role, m.text);
    if (m.id != null) e.setAttribute('data-id', String(m.id));
    if (role === 'customer') {
      e.setAttribute('data-status', 'stored');
      if (m.client_id) e.setAttribute('data-client-id', String(m.client_id));
    }
    e._omniButtons = Array.isArray(m.buttons) ? m.buttons : [];
    return e;
  }
  function findBy(attr, val) {
    val = String(val);
    var list = log.querySelectorAll('.omni-msg');
    for (var i = list.length - 1; i >= 0; i--) if (list[i].getAttribute(attr) === val) return list[i];
    return null;
  }
  function customerEl(p) {
    var e = msgEl('customer', p.label);
    e.setAttribute('data-client-id', p.cid);
    e.setAttribute('data-status', 'pending');
    setMeta(e, t('sending'));
    log.appendChild(e);
    return e;
  }
  function showGreeting() {
    var g = log.querySelector('[data-greeting]');
    if (g) g.parentNode.removeChild(g);
    if (!cfg.greeting || log.querySelector('.omni-msg[data-id]')) return;
    g = msgEl('agent', cfg.greeting);
    g.setAttribute('data-greeting', 'true');
    log.insertBefore(g, log.firstChild);
  }
  // Only the last message from our side shows its buttons: the agent's or staff's choices,
  // or a system message's (the rating question); a later notice without buttons ends them.
  var OURS = '.omni-msg[data-role=agent],.omni-msg[data-role=staff],.omni-msg[data-role=system]';
  function renderButtons() {
    Array.prototype.forEach.call(log.querySelectorAll('.omni-buttons'), function (r) { r.parentNode.removeChild(r); });
    var list = log.querySelectorAll(OURS);
    var last = list[list.length - 1];
    if (!last || !last._omniButtons || !last._omniButtons.length) return;
    var row = h('div', { class: 'omni-buttons', role: 'group', 'aria-label': t('suggested') });
    last._omniButtons.forEach(function (b) {
      if (!b || b.label == null) return;
      var label = str(b.label, ''), value = str(b.value, label);
      var btn = h('button', { class: 'omni-btn', type: 'button', text: label });
      btn.addEventListener('click', function () {
        if (row.parentNode) row.parentNode.removeChild(row);
        last._omniButtons = [];
        queue({ type: 'button', value: value, label: label }, label);
        input.focus();
      });
      row.appendChild(btn);
    });
    last.appendChild(row);
  }

  function setOwner(o) {
    owner = o === 'staff' ? 'staff' : 'agent';
    statusEl.hidden = owner !== 'staff';
    panel.setAttribute('data-owner', owner);
  }
  function showTyping() {
    typingText.textContent = owner === 'staff' ? t('staff_typing') : t('typing', cfg.assistant_name);
    var stick = nearBottom();
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_SHOW_MS);
    if (stick) scrollBottom(true);
  }
  function hideTyping() { clearTimeout(typingTimer); typingEl.hidden = true; }
  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(function () { errorEl.hidden = true; }, 10000);
  }
  function setConn() {
    var state = ready ? 'connected' : (everConnected || attempt > 0 ? 'reconnecting' : 'connecting');
    connEl.setAttribute('data-state', wanted ? state : 'idle');
    connEl.hidden = ready || !wanted;
    connEl.textContent = state === 'connecting' ? t('connecting') : t('reconnecting');
    panel.setAttribute('data-conn', wanted ? state : 'idle');
  }

  // outgoing
  function wsSend(f) {
    if (ws && ws.readyState === 1) { try { ws.send(JSON.stringify(f)); return true; } catch (e) { /* closed */ } }
    return false;
  }
  function queue(frame, label) {
    frame.client_id = uid();
    var p = { cid: frame.client_id, frame: frame, label: label };
    pending.push(p);
    customerEl(p);
    scrollBottom(true);
    errorEl.hidden = true;
    if (ready) wsSend(frame); // otherwise sent after the next history frame
    else connect();
  }
  function sendText() {
    var text = input.value.slice(0, MAX).trim();
    if (!text) return;
    input.value = '';
    resize(); updateCount();
    lastTypingSent = 0;
    queue({ type: 'message', text: text }, text);
  }

  // incoming
  function dropPending(cid) {
    for (var i = 0; i < pending.length; i++) if (pending[i].cid === cid) { pending.splice(i, 1); return true; }
    return false;
  }
  function onHistory(f) {
    var msgs = Array.isArray(f.messages) ? f.messages : [];
    applyLabels(f.lang, f.labels);
    ready = true; everConnected = true; attempt = 0; authFails = 0;
    setConn();
    hideTyping();
    log.setAttribute('aria-busy', 'true');
    while (log.firstChild) log.removeChild(log.firstChild);
    msgs.forEach(function (m) {
      if (!m || typeof m !== 'object') return;
      if (m.client_id) dropPending(String(m.client_id)); // already stored server-side
      log.appendChild(serverEl(m));
    });
    showGreeting();
    renderButtons();
    setOwner(f.owner);
    pending.forEach(function (p) { customerEl(p); wsSend(p.frame); });
    log.removeAttribute('aria-busy');
    scrollBottom(true);
  }
  function onAck(f) {
    var cid = str(f.client_id, '');
    dropPending(cid);
    var e = findBy('data-client-id', cid);
    if (!e) return;
    if (f.id != null) {
      var dup = findBy('data-id', f.id);
      if (dup && dup !== e) { e.parentNode.removeChild(e); return; } // history already shows it
      e.setAttribute('data-id', String(f.id));
    }
    e.setAttribute('data-status', 'stored');
    setMeta(e, t('sent'));
  }
  function onMessage(f) {
    hideTyping();
    if (f.labels) applyLabels(f.lang, f.labels);
    if (f.id != null && findBy('data-id', f.id)) return;
    if (f.role === 'customer' && f.client_id && findBy('data-client-id', f.client_id)) { onAck(f); return; }
    var stick = nearBottom();
    var e = serverEl(f);
    log.appendChild(e);
    var role = e.getAttribute('data-role');
    if (role !== 'customer') renderButtons();
    if (role !== 'customer' && !isOpen) badge.hidden = false;
    if (stick) scrollBottom(true);
  }
  function onFrame(f) {
    switch (f.type) {
      case 'history': onHistory(f); break;
      case 'ack': onAck(f); break;
      case 'message': onMessage(f); break;
      case 'typing': showTyping(); break;
      case 'status': setOwner(f.owner); break;
      case 'error':
        showError(str(f.message, '') || t('error'));
        if (f.client_id) { // the server rejected one specific message: stop retrying it
          var cid = String(f.client_id), e = findBy('data-client-id', cid);
          dropPending(cid);
          if (e && e.getAttribute('data-status') === 'pending') { e.setAttribute('data-status', 'failed'); setMeta(e, t('not_sent')); }
        }
        break;
    }
  }

  // session + socket
  function postSession(body) {
    return fetch(base + '/chat/session', {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { var err = new Error('HTTP ' + r.status); err.status = r.status; throw err; }
      return r.json();
    });
  }
  function getSession() {
    var st = window.omnichannelSettings || {};
    var email = st.email ? String(st.email) : '';
    var s = loadSession();
    if (s && s.token && str(s.email, '') === email) return Promise.resolve(s);
    if (sessionPromise) return sessionPromise;
    var body = email ? { email: email, user_hash: str(st.user_hash, '') } : {};
    if (LANG) body.language = LANG;
    sessionPromise = postSession(body).catch(function (err) {
      // Identity verification refused: fall back to an anonymous chat rather than none.
      if (email && err.status >= 400 && err.status < 500 && err.status !== 429) return postSession(LANG ? { language: LANG } : {});
      throw err;
    }).then(function (d) {
      if (!d || !d.token) throw new Error('bad session');
      applyLabels(d.lang, d.labels);
      var ns = { session: d.session, token: d.token, email: email };
      saveSession(ns);
      sessionPromise = null;
      return ns;
    }, function (err) { sessionPromise = null; throw err; });
    return sessionPromise;
  }

  function connect() {
    wanted = true;
    if (ws || connecting) return;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    connecting = true;
    setConn();
    getSession().then(function (s) {
      connecting = false;
      var sock;
      try { sock = new WebSocket(wsBase + '/chat/ws?token=' + encodeURIComponent(s.token) + (LANG ? '&lang=' + encodeURIComponent(LANG) : '')); }
      catch (e) { retry(); return; }
      ws = sock;
      sock.onmessage = function (ev) {
        if (ws !== sock) return;
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (f && typeof f === 'object') onFrame(f);
      };
      sock.onclose = function (ev) {
        if (ws !== sock) return;
        ws = null; ready = false;
        hideTyping();
        if (ev.code === 4401) { // token rejected: new session
          clearSession();
          if (++authFails < 2) { setConn(); connect(); return; }
        }
        retry();
      };
    }, function () { connecting = false; retry(); });
  }
  function retry() {
    var d = Math.min(15000, 500 * Math.pow(2, attempt++));
    d = d * (0.5 + Math.random() * 0.5);
    setConn();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; connect(); }, d);
  }
  function kick() { if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; connect(); } }

  // boot
  function start() {
    build();
    fetch(base + '/chat/config', { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(applyConfig, function () { applyConfig({}); });
    if (loadSession()) connect(); // returning visitor: reconnect right away; new visitors connect on first open
    window.addEventListener('online', kick);
    document.addEventListener('visibilitychange', function () { if (!document.hidden) kick(); });
    if (openOnStart) open();
  }

  window.Omnichannel = {
    _omni: true,
    open: function () { open(); },
    close: function () { openOnStart = false; close(false); }
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
