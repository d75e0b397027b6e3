/* sixtcap chat widget — one tag embeds it on any page:
 *   <script src="https://YOUR-HOST/widget/widget.js" defer></script>
 * Optional: data-api="https://YOUR-HOST" on the tag when the API lives elsewhere than the script.
 * Links with data-sixtcap-payload="concern:job" on the page open the chat on that subject (the youth's
 * bubble says data-sixtcap-title, else the link's text); "handoff:partner:<id>" addresses a question.
 * A page opened with ?src=<campaign> (a QR code, an influencer's link) tells the bot where the youth came from.
 * Vanilla JS, no dependencies. Talks to POST/GET /widget/messages (see webhooks/widget.py). */
(() => {
  "use strict";
  if (customElements.get("sixtcap-chat")) return; // loaded twice: keep the first

  // The API is found next to the script itself, so the widget works when embedded on another site.
  const script = document.currentScript;
  const apiBase = script && script.dataset.api ? script.dataset.api.replace(/\/?$/, "/") : null;
  const ENDPOINT = apiBase
    ? new URL("widget/messages", apiBase).href
    : new URL("messages", script && script.src ? script.src : location.origin + "/widget/").href;
  const KEY_ID = "sixtcap.conversation";
  const KEY_CURSOR = "sixtcap.cursor";
  const KEY_SOURCE = "sixtcap.source";
  const POLL_MS = 4000;
  const SMALL = "(max-width: 799.98px)";
  const OOPS = "Oups, ça n'a pas marché. Réessaie dans un instant.";
  const UNREADABLE = "Je n'ai pas pu lire ce message. Essaie de le raccourcir ou de le reformuler.";
  const SLOW_DOWN = (seconds) => `Doucement 🙂 Beaucoup de messages d'un coup. Attends ${seconds} s et réessaie.`;

  // localStorage can be missing or throw (private browsing, blocked storage): fall back to memory.
  const memory = {};
  const store = {
    get: (k) => { try { return localStorage.getItem(k); } catch { return memory[k] ?? null; } },
    set: (k, v) => { try { localStorage.setItem(k, v); } catch { memory[k] = v; } },
  };

  // The campaign of the link the youth came with, kept while they browse the site (only sent, and only
  // recorded by the bot, at the first contact).
  const arrivedWith = new URLSearchParams(location.search).get("src");
  if (arrivedWith && /^[A-Za-z0-9_-]{1,64}$/.test(arrivedWith)) store.set(KEY_SOURCE, arrivedWith);

  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  const uuid = () => crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));

  // Only links a youth can safely follow; new tabs for web pages, not for phone numbers.
  const safeUrl = (url) => {
    try {
      const parsed = new URL(url, location.href);
      return ["http:", "https:", "tel:", "mailto:", "sms:"].includes(parsed.protocol) ? parsed.href : null;
    } catch { return null; }
  };

  // Tiny DOM helper: el("p", {class: "x"}, "text", child)
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) node.setAttribute(k, v);
    for (const child of children) if (child != null) node.append(child);
    return node;
  };
  const hidden = (text) => el("span", { class: "sr-only" }, text);

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1b1b; }
    .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
    button, input { font: inherit; }
    :focus-visible { outline: 3px solid #1b1b1b; outline-offset: 2px; box-shadow: 0 0 0 2px #fff; }
    [hidden] { display: none !important; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex; gap: 8px;
      align-items: center; padding: 12px 18px; border: 0; border-radius: 999px; background: #0b5f73;
      color: #fff; font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0, 0, 0, .25); }
    .launcher:hover { background: #084a5a; }
    .launcher svg { width: 22px; height: 22px; }
    .panel { position: fixed; right: 20px; bottom: 20px; z-index: 2147483001; width: 380px; height: 600px;
      max-height: calc(100vh - 40px); display: flex; flex-direction: column; background: #fff;
      border-radius: 16px; overflow: hidden; box-shadow: 0 10px 40px rgba(0, 0, 0, .3);
      animation: rise .18s ease-out; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 8px;
      padding: 10px 10px 10px 16px; background: #0b5f73; color: #fff; }
    h2 { margin: 0; font-size: 17px; font-weight: 700; }
    .close { width: 44px; height: 44px; border: 0; border-radius: 8px; background: transparent; color: #fff;
      font-size: 26px; line-height: 1; cursor: pointer; }
    .close:hover { background: rgba(255, 255, 255, .15); }
    .log { flex: 1; overflow-y: auto; padding: 14px 12px; display: flex; flex-direction: column; gap: 10px;
      background: #f7f8f8; overscroll-behavior: contain; }
    .turn { display: flex; flex-direction: column; gap: 8px; max-width: 92%; animation: fade .2s ease-out; }
    .turn.bot { align-self: flex-start; }
    .turn.me { align-self: flex-end; align-items: flex-end; max-width: 80%; }
    .bubble { margin: 0; padding: 9px 13px; border-radius: 16px; white-space: pre-line;
      overflow-wrap: anywhere; }
    .bot .bubble { background: #e6ecee; border-bottom-left-radius: 4px; }
    .me .bubble { background: #0b5f73; color: #fff; border-bottom-right-radius: 4px; }
    .failed { font-size: 14px; color: #8a1c12; }
    .error .bubble { background: #fdecea; color: #7a1a12; border: 1px solid #e8b4ae; }
    .choices { display: flex; flex-wrap: wrap; gap: 6px; }
    .choice, .action { display: inline-block; padding: 7px 13px; border: 2px solid #0b5f73;
      border-radius: 999px; background: #fff; color: #0b5f73; font-weight: 600; text-decoration: none;
      cursor: pointer; }
    .choice:hover, .action:hover { background: #0b5f73; color: #fff; }
    article { background: #fff; border: 1px solid #c5cfd2; border-radius: 12px; padding: 12px 14px; }
    article.helpline { border-left: 5px solid #b3261e; }
    h3 { margin: 0 0 4px; font-size: 16px; }
    .subtitle { margin: 0 0 6px; color: #4a4a4a; font-size: 15px; }
    ul { margin: 0 0 8px; padding-left: 18px; font-size: 15px; }
    .typing .bubble { color: #4a4a4a; animation: pulse 1s ease-in-out infinite alternate; }
    form { display: flex; gap: 8px; padding: 10px 12px 6px; border-top: 1px solid #d5dcde; background: #fff; }
    input { flex: 1; min-width: 0; padding: 10px 12px; border: 2px solid #6b7b80; border-radius: 10px;
      color: #1b1b1b; background: #fff; }
    input::placeholder { color: #5f6b6f; }
    .send { padding: 10px 16px; border: 0; border-radius: 10px; background: #0b5f73; color: #fff;
      font-weight: 600; cursor: pointer; }
    .send:hover { background: #084a5a; }
    footer { padding: 0 12px 8px; background: #fff; text-align: right; }
    .forget { padding: 4px; border: 0; background: none; color: #4a4a4a; font-size: 14px;
      text-decoration: underline; cursor: pointer; }
    @keyframes rise { from { opacity: 0; transform: translateY(12px); } }
    @keyframes fade { from { opacity: 0; } }
    @keyframes pulse { to { opacity: .45; } }
    @media ${SMALL} {
      .panel { top: 0; left: 0; right: auto; bottom: auto; width: 100vw; height: 100vh; height: 100dvh;
        max-height: none; border-radius: 0; }
    }
    @media (prefers-reduced-motion: reduce) {
      *, *::before, *::after { animation: none !important; transition: none !important; }
    }`;

  const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';

  class SixtcapChat extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.queue = Promise.resolve(); // network calls run one after another, in order
      this.busy = 0;
      this.started = false;
      this.timer = null;
    }

    connectedCallback() {
      if (this.shadowRoot.childElementCount) return;
      this.shadowRoot.innerHTML = `<style>${STYLE}</style>
        <aside class="root" aria-label="Assistant sixtcap">
          <button class="launcher" type="button" aria-expanded="false" aria-controls="panel">
            ${ICON}<span>Ouvrir la discussion</span></button>
          <section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>
            <header><h2 id="title">sixtcap — on t'oriente</h2>
              <button class="close" type="button" aria-label="Fermer la discussion">×</button></header>
            <div class="log" role="log" aria-live="polite" aria-label="Messages" tabindex="0"></div>
            <form novalidate>
              <label class="sr-only" for="input">Ton message</label>
              <input id="input" type="text" maxlength="2000" autocomplete="off" enterkeyhint="send"
                placeholder="Écris ton message…">
              <button class="send" type="submit">Envoyer</button>
            </form>
            <footer><button class="forget" type="button">Effacer mes données</button></footer>
          </section>
        </aside>`;
      const $ = (sel) => this.shadowRoot.querySelector(sel);
      [this.launcher, this.panel] = [$(".launcher"), $(".panel")];
      [this.log, this.input] = [$(".log"), $("input")];
      this.launcher.addEventListener("click", () => this.open());
      $(".close").addEventListener("click", () => this.close());
      $("form").addEventListener("submit", (event) => { event.preventDefault(); this.sendTyped(); });
      $(".forget").addEventListener("click", () => this.say({ text: "oublie-moi" }, "oublie-moi"));
      this.shadowRoot.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && !this.panel.hidden) { event.preventDefault(); this.close(); }
      });
      // Mobile keyboards shrink the visual viewport: follow it so the input stays visible.
      const viewport = window.visualViewport;
      for (const type of ["resize", "scroll"]) viewport?.addEventListener(type, () => this.fit());
      document.addEventListener("visibilitychange", () => { if (!document.hidden) this.schedulePoll(0); });
    }

    get conversation() { return store.get(KEY_ID); }
    get cursor() { return Number(store.get(KEY_CURSOR)) || 0; }
    set cursor(value) { store.set(KEY_CURSOR, String(value)); }

    open() {
      if (!this.panel.hidden) return;
      this.panel.hidden = false;
      this.launcher.hidden = true;
      this.launcher.setAttribute("aria-expanded", "true");
      this.fit();
      this.input.focus();
      if (!this.started) { this.started = true; this.enqueue(() => this.resume()); }
      this.schedulePoll();
    }

    close() {
      this.panel.hidden = true;
      this.launcher.hidden = false;
      this.launcher.setAttribute("aria-expanded", "false");
      clearTimeout(this.timer);
      this.launcher.focus();
    }

    // Full screen on small screens: size the panel to the visible part of the viewport.
    fit() {
      const viewport = window.visualViewport;
      const follow = viewport && matchMedia(SMALL).matches;
      this.panel.style.height = follow ? `${viewport.height}px` : "";
      this.panel.style.top = follow ? `${viewport.offsetTop}px` : "";
      this.scrollDown();
    }

    // Open the chat on a subject chosen elsewhere on the page (the portal's menu).
    ask(payload, title) { this.open(); this.say({ payload }, title); }

    sendTyped() {
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.say({ text }, text, text);
    }

    // Show the youth's words at once, then send; `typed` goes back in the input if sending fails.
    say(body, shown, typed = null) {
      const turn = this.addTurn("me", shown);
      this.enqueue(async () => {
        if (!(await this.post(body))) {
          turn.append(el("span", { class: "failed" }, "Pas envoyé"));
          if (typed && !this.input.value) this.input.value = typed;
        }
      });
    }

    enqueue(task) {
      this.busy += 1;
      this.queue = this.queue.then(task).catch(() => this.addError(OOPS)).finally(() => { this.busy -= 1; });
      return this.queue;
    }

    // First open on this page: show the conversation so far, or get the welcome.
    async resume() {
      if (this.conversation) {
        const data = await this.request(`?conversation_id=${encodeURIComponent(this.conversation)}&after=0`);
        if (data === null) return;
        this.show(data);
        this.cursor = data.cursor;
        if (data.messages.length) return;
      }
      await this.post({ text: "" });
    }

    async post(body) {
      if (!this.conversation) { store.set(KEY_ID, uuid()); this.cursor = 0; }
      const typing = this.addTurn("bot typing", "sixtcap écrit…", { "aria-hidden": "true" });
      const init = { method: "POST", headers: { "Content-Type": "application/json" },
        // message_id: the same message sent twice (a retried request) is answered once
        body: JSON.stringify({ conversation_id: this.conversation, source: store.get(KEY_SOURCE),
          message_id: uuid(), ...body }) };
      const data = await this.request("", init).finally(() => typing.remove());
      if (data === null) return false;
      this.show(data);
      // « oublie-moi » confirmed: the server keeps nothing about us any more; next time, a new conversation.
      if (data.forgotten) store.set(KEY_ID, uuid());
      this.cursor = data.cursor;
      return true;
    }

    // JSON from the API, or null after showing a friendly error bubble.
    async request(query, init) {
      try {
        const response = await fetch(ENDPOINT + query, init);
        if (response.ok) return await response.json();
        const wait = Math.max(1, Math.min(600, parseInt(response.headers.get("Retry-After"), 10) || 5));
        this.addError(response.status === 429 ? SLOW_DOWN(wait)
          : [413, 422].includes(response.status) ? UNREADABLE : OOPS);
      } catch {
        this.addError(OOPS);
      }
      return null;
    }

    // Replies that came later (an adviser's answer), every few seconds while the panel is open.
    schedulePoll(delay = POLL_MS) {
      clearTimeout(this.timer);
      if (!this.panel || this.panel.hidden) return;
      this.timer = setTimeout(() => this.poll().finally(() => this.schedulePoll()), this.pollMs || delay);
    }

    async poll() {
      if (this.busy || !this.conversation || document.hidden) return;
      const after = this.cursor;
      try {
        const url = `${ENDPOINT}?conversation_id=${encodeURIComponent(this.conversation)}&after=${after}`;
        const response = await fetch(url);
        if (!response.ok) return; // stay quiet: the next poll will try again
        const data = await response.json();
        if (this.busy || this.cursor !== after) return; // a message was sent meanwhile: its answer wins
        this.show(data);
        this.cursor = data.cursor;
      } catch { /* offline for a moment: try again at the next tick */ }
    }

    // ---- rendering (textContent only: nothing from the server is parsed as HTML) ----

    addTurn(who, text, attrs = {}) {
      const mine = who === "me";
      const turn = el("div", { class: `turn ${who}`, ...attrs },
        el("p", { class: "bubble" }, hidden(mine ? "Toi : " : "sixtcap : "), text));
      this.log.append(turn);
      this.scrollDown();
      return turn;
    }

    addError(text) { this.addTurn("bot error", text); }

    // Bubbles from the API: the youth's own (history) on the right, the rest from sixtcap.
    show(data) {
      if (data.poll_seconds) this.pollMs = data.poll_seconds * 1000;
      data.messages.forEach((bubble) => (bubble.from === "youth" ? this.addTurn("me", bubble.text) : this.addBot(bubble)));
    }

    addBot(bubble) {
      const turn = bubble.text ? this.addTurn("bot", bubble.text) : el("div", { class: "turn bot" });
      if (!turn.isConnected) this.log.append(turn);
      for (const card of bubble.cards || []) turn.append(this.renderCard(card));
      const choices = el("div", { class: "choices" });
      for (const button of bubble.buttons || []) choices.append(this.renderButton(button));
      if (choices.childElementCount) turn.append(choices);  // the choices come after the cards
      this.scrollDown();
    }

    renderButton(button) {
      if (button.url) return this.renderLink(button, "action");
      const node = el("button", { type: "button", class: "choice" }, button.title);
      const body = button.payload ? { payload: button.payload } : { text: button.title };
      node.addEventListener("click", () => this.say(body, button.title));
      return node;
    }

    renderLink(button, cls) {
      const href = safeUrl(button.url);
      if (!href) return document.createTextNode("");
      const web = /^https?:/.test(href);
      return el("a", { class: cls, href, target: web ? "_blank" : null, rel: web ? "noopener" : null },
        button.title, web ? hidden(" (nouvel onglet)") : null);
    }

    renderCard(card) {
      const article = el("article", { class: card.kind },
        el("h3", {}, card.title),
        card.subtitle ? el("p", { class: "subtitle" }, card.subtitle) : null);
      if (card.details && card.details.length) {
        article.append(el("ul", {}, ...card.details.map((line) => el("li", {}, line))));
      }
      const actions = [...(card.actions || [])];
      if (card.url && !actions.some((a) => a.url === card.url)) {
        actions.push({ title: "En savoir plus", url: card.url });
      }
      // a link opens its page; an action with a payload ("Me faire aider") is a choice like a bubble's
      const links = actions.map((action) => (action.url ? this.renderLink(action, "action") : this.renderButton(action)));
      if (links.length) article.append(el("div", { class: "choices" }, ...links));
      return article;
    }

    scrollDown() { if (this.log) this.log.scrollTop = this.log.scrollHeight; }
  }

  customElements.define("sixtcap-chat", SixtcapChat);

  // Insert one widget, and let [data-sixtcap-payload] links on the page start the chat on a subject.
  const insert = () => {
    const chat = document.querySelector("sixtcap-chat") || document.body.appendChild(el("sixtcap-chat"));
    document.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("[data-sixtcap-payload]");
      if (!link) return;
      event.preventDefault();
      chat.ask(link.dataset.sixtcapPayload, link.dataset.sixtcapTitle || link.textContent.trim());
    });
  };
  if (document.body) insert(); else document.addEventListener("DOMContentLoaded", insert);
})();
