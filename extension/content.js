// apolint content script: finds the reply editor the agent is typing in
// (a textarea, or a contenteditable editor such as ProseMirror, Froala or
// an iframe's editable body), sends the draft to the background script
// after a pause in typing, and draws the findings over the editor.
//
// The customer's editor is never modified, except when the agent applies a
// quick fix: underlines, the hover card and the verdict badge live in a
// shadow root attached to <html>, positioned over the text (a mirror div
// for a textarea, Range.getClientRects for a contenteditable).
// Nothing here talks to the network: the background script does.
(() => {
  "use strict";
  if (globalThis.__apolintContentLoaded) return;
  globalThis.__apolintContentLoaded = true;
  const api = globalThis.browser ?? globalThis.chrome;
  // An about:blank or srcdoc frame (a desk's rich-text iframe, often
  // written with document.write) has no URL of its own: its parent's copy
  // of this script handles it (see adopt below).
  try {
    if (location.protocol === "about:" && window.frameElement) return;
  } catch { /* a cross-origin parent: this copy handles the frame */ }

  const DEBOUNCE_MS = 400;
  const MIN_CHARS = 3;
  // Whole-draft findings are listed in the panel, not underlined.
  const DOCUMENT_LEVEL = new Set(["missing-deadline", "missing-compensation", "over-apology"]);
  const RANK = { info: 1, warning: 2, error: 3 };
  const PARTS = ["greeting", "acknowledgement", "apology", "cause", "responsibility", "fix", "deadline",
    "compensation", "prevention", "closing"];
  const BLOCK = /^(P|DIV|LI|UL|OL|H[1-6]|BLOCKQUOTE|PRE|TR|TABLE|SECTION|ARTICLE|HEADER|FOOTER|FIGURE|HR)$/;
  // What the service's HTML reading leaves out (`input.rs`: SKIP_CONTENT_TAGS,
  // THREAD_MARKERS), left out here too: the editor's text is sent as plain
  // text, and a customer's message quoted in the composer (Freshdesk puts it
  // in a <blockquote> with no "On … wrote:" line) is not the agent's words.
  const SKIP_CONTENT = /^(BLOCKQUOTE|PRE|CODE)$/;
  const THREAD_MARKERS = ["signature", "gmail_quote", "yahoo_quoted", "divrplyfwdmsg", "moz-cite-prefix",
    "protonmail_quote", "zendesk_quote", "freshdesk_quote"];
  // An element whose tag or attributes name a quoted thread or a signature:
  // it and everything after it are not the reply.
  const startsThread = (e) => {
    const said = [e.tagName, ...Array.from(e.attributes, (a) => a.name + "=" + a.value)].join(" ").toLowerCase();
    return THREAD_MARKERS.some((m) => said.includes(m));
  };

  const CSS = `
    :host { all: initial; }
    .layer { position: fixed; left: 0; top: 0; width: 0; height: 0; pointer-events: none; }
    .mark { position: fixed; pointer-events: none; border-radius: 2px; }
    .mark.error { background: rgba(217,45,32,.10); border-bottom: 2px solid #d92d20; }
    .mark.warning { background: rgba(247,144,9,.12); border-bottom: 2px solid #f79009; }
    .mark.info { background: rgba(46,144,250,.10); border-bottom: 2px dotted #2e90fa; }
    .mark.hot { outline: 1px solid rgba(29,36,48,.45); }
    .mirror { position: fixed; visibility: hidden; pointer-events: none; overflow: hidden;
      white-space: pre-wrap; overflow-wrap: break-word; word-wrap: break-word; margin: 0; border: 0; }
    .badge { position: fixed; pointer-events: auto; cursor: pointer; user-select: none;
      font: 600 11.5px/1 ui-sans-serif, system-ui, sans-serif; letter-spacing: .02em;
      padding: 5px 9px; border-radius: 999px; box-shadow: 0 1px 3px rgba(16,24,40,.18);
      background: #eaecf0; color: #475467; white-space: nowrap; z-index: 2; }
    .badge.send { background: #dcfae6; color: #067647; }
    .badge.warn { background: #fef0c7; color: #b54708; }
    .badge.block { background: #fee4e2; color: #d92d20; }
    .badge.offline, .badge.error { background: #f2f4f7; color: #667085; font-weight: 500; }
    .badge.stale { opacity: .6; }
    .card, .panel { position: fixed; pointer-events: auto; z-index: 3; box-sizing: border-box;
      font: 13.5px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #1d2430; background: #fff; border: 1px solid #e3e6eb; border-radius: 10px;
      box-shadow: 0 8px 24px rgba(16,24,40,.16); padding: 11px 13px; max-width: 380px; }
    .card[hidden], .panel[hidden] { display: none; }
    .meta { display: flex; gap: 6px; align-items: center; font-size: 11.5px; color: #667085; margin-bottom: 4px; }
    .chip { background: #f2f4f7; border-radius: 5px; padding: 1px 6px; font-weight: 600; color: #344054; }
    .sev-error { color: #d92d20; } .sev-warning { color: #b54708; } .sev-info { color: #175cd3; }
    .msg { font-weight: 600; margin-bottom: 4px; }
    .why { color: #344054; margin: 4px 0; }
    .label { font-size: 11.5px; font-weight: 600; color: #067647; margin-top: 6px; }
    .label.bad { color: #b42318; }
    ul { margin: 2px 0 0; padding-left: 18px; }
    li { margin: 1px 0; }
    .rule { font: 11px ui-monospace, Menlo, monospace; color: #98a2b3; margin-top: 6px; }
    .card { max-height: calc(100vh - 16px); overflow-y: auto; }
    button.fix { margin: 4px 0 2px; font: 600 12.5px ui-sans-serif, system-ui, sans-serif; padding: 5px 10px;
      border-radius: 7px; border: 1px solid #abefc6; background: #dcfae6; color: #067647; cursor: pointer; }
    .panel { overflow-y: auto; width: 360px; max-width: calc(100vw - 16px); }
    .panel h4 { margin: 0 0 6px; font-size: 13px; }
    .panel .item { border-left: 3px solid #e3e6eb; padding: 3px 0 3px 8px; margin: 5px 0; }
    .panel .item.error { border-left-color: #d92d20; } .panel .item.warning { border-left-color: #f79009; }
    .panel .item.info { border-left-color: #2e90fa; }
    .structure { list-style: none; padding: 0; margin: 4px 0 8px; }
    .structure li::before { content: "○ "; color: #98a2b3; }
    .structure li.present::before { content: "✓ "; color: #067647; }
    .structure li.missing::before { content: "✗ "; color: #d92d20; }
    .structure li.optional { color: #98a2b3; }
  `;

  // Everything below works in one window: this frame's, or an adopted
  // about:blank frame's (its document, its viewport, its events).
  function install(win) {
    const document = win.document;
    const bound = [];
    const on = (target, type, fn, opts) => { bound.push([target, type, fn, opts]); target.addEventListener(type, fn, opts); };
    // ---- the shadow root over the page ----
    let shadow = null, card = null, panel = null;
    function ui() {
      if (shadow && shadow.host.isConnected) return shadow;
      const host = document.createElement("apolint-overlay");
      host.setAttribute("data-apolint", "");
      // Above the page: desks wrap their composer in positioned, z-indexed
      // boxes with a background, which painted over underlines and badge
      // left in the root stacking context. Inline and important, so no page
      // rule for the element wins.
      for (const [k, v] of [["position", "fixed"], ["z-index", "2147483647"], ["left", "0"], ["top", "0"],
        ["width", "0"], ["height", "0"], ["overflow", "visible"], ["pointer-events", "none"]]) {
        host.style.setProperty(k, v, "important");
      }
      shadow = host.attachShadow({ mode: "open" });
      const style = document.createElement("style");
      style.textContent = CSS;
      card = document.createElement("div");
      card.className = "card";
      card.hidden = true;
      panel = document.createElement("div");
      panel.className = "panel";
      panel.hidden = true;
      // Keep the editor's focus and selection when the agent clicks in here.
      for (const el of [card, panel]) el.addEventListener("mousedown", (e) => e.preventDefault());
      shadow.append(style, card, panel);
      document.documentElement.appendChild(host);
      // A page that removes the overlay (re-rendering <html>'s children)
      // gets it back at once, not at the next scroll or keystroke.
      const watch = new win.MutationObserver(() => {
        if (host.isConnected) return;
        watch.disconnect();
        for (const s of sessions) s.layout();
      });
      watch.observe(document.documentElement, { childList: true });
      return shadow;
    }
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = text;
      return e;
    };

    // The API speaks UTF-8 byte offsets; the DOM speaks UTF-16 indices.
    function byteToIndex(text) {
      const map = new Map();
      let b = 0, i = 0;
      for (const ch of text) {
        map.set(b, i);
        const cp = ch.codePointAt(0);
        b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        i += ch.length;
      }
      map.set(b, i);
      return (off) => { while (off > 0 && !map.has(off)) off--; return map.get(off) ?? 0; };
    }

    // A contenteditable's text as the agent sees it, and where each piece
    // of it lives in the DOM (text nodes only; block ends become "\n").
    function editableText(root) {
      const segs = [];
      let text = "";
      const newline = () => { if (text.length && !text.endsWith("\n")) text += "\n"; };
      let ended = false;  // a quoted thread or signature was reached
      const walk = (node) => {
        for (let c = node.firstChild; c && !ended; c = c.nextSibling) {
          if (c.nodeType === win.Node.TEXT_NODE) {
            if (c.data.length) { segs.push({ node: c, start: text.length }); text += c.data; }
          } else if (c.nodeType === win.Node.ELEMENT_NODE) {
            const tag = c.tagName;
            if (tag === "BR") {
              // ProseMirror's placeholder break in an empty paragraph is not a line.
              if (!c.classList.contains("ProseMirror-trailingBreak")) text += "\n";
              continue;
            }
            // A thread or signature ends the reply even where the desk made it
            // read-only (contenteditable="false"), as the service reads it.
            if (startsThread(c)) { ended = true; return; }
            if (tag === "SCRIPT" || tag === "STYLE" || tag === "APOLINT-OVERLAY" || c.getAttribute("contenteditable") === "false") continue;
            const block = BLOCK.test(tag);
            if (block) newline();
            if (!SKIP_CONTENT.test(tag)) walk(c);
            if (block) newline();
          }
        }
      };
      walk(root);
      return { text, segs };
    }

    let sessions = new Set();

    class Session {
      constructor(editor) {
        this.editor = editor;
        this.textarea = editor.tagName === "TEXTAREA";
        this.seq = 0;
        this.timer = null;
        this.port = null;
        this.dead = false;
        this.lastSent = null;  // text of the last request
        this.shown = null;     // {text, answer, findings} painted now
        this.state = "idle";
        this.hot = null;
        const root = ui();
        this.layer = el("div", "layer");
        this.marks = el("div");
        this.badge = el("div", "badge", "apolint");
        this.badge.title = "apolint: click for the findings";
        this.badge.addEventListener("mousedown", (e) => e.preventDefault());
        this.badge.addEventListener("click", () => togglePanel(this));
        this.layer.append(this.marks, this.badge);
        if (this.textarea) { this.mirror = el("div", "mirror"); this.layer.append(this.mirror); }
        root.append(this.layer);
        this.onInput = () => this.schedule();
        editor.addEventListener("input", this.onInput);
        editor.addEventListener("scroll", relayout, { passive: true });
        if (!this.textarea) {
          // Desks insert macros without an input event.
          this.observer = new win.MutationObserver(() => this.schedule());
          this.observer.observe(editor, { childList: true, characterData: true, subtree: true });
        }
        this.resize = new win.ResizeObserver(relayout);
        this.resize.observe(editor);
        sessions.add(this);
        this.schedule(0);
      }

      destroy() {
        clearTimeout(this.timer);
        this.editor.removeEventListener("input", this.onInput);
        this.editor.removeEventListener("scroll", relayout);
        this.observer?.disconnect();
        this.resize.disconnect();
        try { this.port?.disconnect(); } catch { /* already gone */ }
        this.layer.remove();
        sessions.delete(this);
        editors.delete(this.editor);
      }

      text() {
        if (this.textarea) return { text: this.editor.value, segs: null };
        return editableText(this.editor);
      }

      schedule(delay = DEBOUNCE_MS) {
        if (this.dead) return;
        clearTimeout(this.timer);
        relayout();
        this.timer = setTimeout(() => this.send(), delay);
      }

      connect() {
        if (this.port) return this.port;
        try {
          this.port = api.runtime.connect({ name: "apolint" });
        } catch {
          // The extension was reloaded or removed: this page's copy stops quietly.
          this.dead = true;
          this.port = null;
          return null;
        }
        this.port.onMessage.addListener((m) => this.receive(m));
        this.port.onDisconnect.addListener(() => { this.port = null; });
        return this.port;
      }

      send() {
        const { text } = this.text();
        if (text === this.lastSent) return;
        if (text.trim().length < MIN_CHARS) {
          this.lastSent = text;
          this.shown = null;
          this.setState("idle");
          relayout();
          return;
        }
        const port = this.connect();
        if (!port) { this.setState("offline"); return; }
        this.lastSent = text;
        const seq = ++this.seq;
        try {
          port.postMessage({ type: "check", seq, text, format: "plain" });
        } catch {
          this.port = null;
          this.lastSent = null;
        }
      }

      receive(m) {
        if (!m || m.type !== "result" || m.seq !== this.seq) return; // a newer draft is on its way
        const { text } = this.text();
        if (text !== this.lastSent) return;
        if (m.offline) { this.shown = null; this.setState("offline"); relayout(); return; }
        if (m.disabled) { this.shown = null; this.setState("idle"); relayout(); return; }
        if (m.error) { this.shown = null; this.setState("error", m.error); relayout(); return; }
        const toIndex = byteToIndex(text);
        const findings = m.answer.findings.map((f, n) => ({ ...f, n, s: toIndex(f.span.start), e: toIndex(f.span.end) }));
        this.shown = { text, answer: m.answer, findings };
        this.setState(m.answer.verdict);
        relayout();
        if (panel && !panel.hidden && panel.owner === this) renderPanel(this);
      }

      setState(state, detail) {
        this.state = state;
        const b = this.badge;
        b.className = "badge " + state;
        b.dataset.verdict = state;
        if (state === "offline") {
          b.textContent = "apolint offline";
          b.title = "The apolint service does not answer; drafts are not checked. (Extension options: service URL.)";
        } else if (state === "error") {
          b.textContent = "apolint: not checked";
          b.title = detail || "";
        } else if (state === "idle") {
          b.textContent = "apolint";
          b.title = "apolint: type a reply to check it";
        } else {
          const n = this.shown ? this.shown.findings.length : 0;
          b.textContent = `apolint: ${state}` + (n ? ` · ${n}` : "");
          b.title = { send: "Fine to send.", warn: "Look again before sending.", block: "Must not go out as it is." }[state] || "";
        }
      }

      // Viewport rectangles of the text [s, e).
      rects(s, e, cache) {
        const out = [];
        if (this.textarea) {
          const range = document.createRange();
          const node = cache.mirrorText;
          range.setStart(node, Math.min(s, node.length));
          range.setEnd(node, Math.min(e, node.length));
          const dx = cache.origin.x - cache.mirrorBox.left, dy = cache.origin.y - cache.mirrorBox.top;
          for (const r of range.getClientRects()) {
            if (r.width < 1) continue;
            out.push({ left: r.left + dx, top: r.top + dy, width: r.width, height: r.height });
          }
          return out;
        }
        for (const seg of cache.segs) {
          const a = Math.max(s, seg.start), b = Math.min(e, seg.start + seg.node.length);
          if (a >= b) continue;
          const range = document.createRange();
          range.setStart(seg.node, a - seg.start);
          range.setEnd(seg.node, b - seg.start);
          for (const r of range.getClientRects()) {
            if (r.width >= 1) out.push({ left: r.left, top: r.top, width: r.width, height: r.height });
          }
        }
        return out;
      }

      layout() {
        if (!this.editor.isConnected) { this.destroy(); return; }
        // The page removed the overlay (a framework re-rendering <html>'s
        // children): draw into a new one rather than into a detached root.
        if (!this.layer.isConnected) ui().append(this.layer);
        const box = this.editor.getBoundingClientRect();
        // The overlay is above the page, so a desk's own pop-up over the
        // editor (a modal, a macro menu) would be drawn under the marks and
        // badge: they are hidden while the editor's middle is covered.
        // Asked of the editor's own root: in a shadow tree the document
        // would answer with the shadow host, which is no pop-up.
        const root = this.editor.getRootNode();
        const hit = box.width > 0 && box.height > 0 &&
          (root.elementFromPoint ? root : document).elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        const covered = hit && hit !== this.editor && !this.editor.contains(hit) && hit.tagName !== "APOLINT-OVERLAY";
        const visible = box.width > 0 && box.height > 0 && !covered;
        this.layer.style.display = visible ? "" : "none";
        if (!visible) return;
        const cs = win.getComputedStyle(this.editor);
        const bl = parseFloat(cs.borderLeftWidth) || 0, bt = parseFloat(cs.borderTopWidth) || 0;
        // The badge sits in the editor's bottom-right corner.
        const bw = this.badge.offsetWidth || 90, bh = this.badge.offsetHeight || 22;
        this.badge.style.left = Math.max(0, box.right - bw - 8) + "px";
        this.badge.style.top = Math.max(0, box.bottom - bh - 6) + "px";
        this.marks.textContent = "";
        this.hitboxes = [];
        const { text, segs } = this.text();
        const shown = this.shown;
        const fresh = shown && shown.text === text;
        this.badge.classList.toggle("stale", !!shown && !fresh);
        if (!fresh) return; // typing: the answer for this text is on its way
        const cache = { segs };
        if (this.textarea) {
          this.syncMirror(cs, box, text);
          cache.mirrorText = this.mirror.firstChild;
          cache.mirrorBox = this.mirror.getBoundingClientRect();
          cache.origin = { x: box.left + bl - this.editor.scrollLeft, y: box.top + bt - this.editor.scrollTop };
        }
        // Clip to the editor's inside (its text may scroll).
        const clip = { left: box.left + bl, top: box.top + bt, right: box.left + bl + this.editor.clientWidth, bottom: box.top + bt + this.editor.clientHeight };
        const marks = shown.findings.filter((f) => !DOCUMENT_LEVEL.has(f.category) && f.e > f.s)
          .sort((a, b) => RANK[a.severity] - RANK[b.severity]);
        for (const f of marks) {
          for (const r of this.rects(f.s, f.e, cache)) {
            const left = Math.max(r.left, clip.left), top = Math.max(r.top, clip.top);
            const right = Math.min(r.left + r.width, clip.right), bottom = Math.min(r.top + r.height, clip.bottom);
            if (right - left < 1 || bottom - top < 1) continue;
            const m = el("div", "mark " + f.severity + (this.hot === f ? " hot" : ""));
            m.dataset.rule = f.rule;
            m.dataset.n = f.n;
            Object.assign(m.style, { left: left + "px", top: top + "px", width: right - left + "px", height: bottom - top + "px" });
            this.marks.append(m);
            this.hitboxes.push({ left, top, right, bottom, f });
          }
        }
      }

      // The mirror: a hidden div with the textarea's box and typography, so
      // its text wraps exactly as the textarea's does.
      syncMirror(cs, box, text) {
        const m = this.mirror;
        for (const p of ["fontFamily", "fontSize", "fontWeight", "fontStyle", "fontVariant", "fontStretch", "lineHeight",
          "letterSpacing", "wordSpacing", "textTransform", "textIndent", "tabSize", "direction", "paddingTop",
          "paddingRight", "paddingBottom", "paddingLeft", "whiteSpace", "wordBreak", "overflowWrap"]) {
          m.style[p] = cs[p];
        }
        if (cs.whiteSpace === "normal") m.style.whiteSpace = "pre-wrap";
        const pl = parseFloat(cs.paddingLeft) || 0, pr = parseFloat(cs.paddingRight) || 0;
        m.style.boxSizing = "content-box";
        m.style.width = Math.max(0, this.editor.clientWidth - pl - pr) + "px";
        m.style.left = box.left + "px";
        m.style.top = box.top + "px";
        if (!m.firstChild || m.firstChild.data !== text) m.textContent = text + "\u200b";
      }

      findingAt(x, y) {
        for (const h of this.hitboxes || []) {
          if (x >= h.left && x <= h.right && y >= h.top - 1 && y <= h.bottom + 2) return h;
        }
        return null;
      }

      // Replaces the finding's text with its fix through the editor's own
      // editing path (execCommand insertText: beforeinput + input, undo), so
      // the desk's editor (React state, ProseMirror) sees the change.
      applyFix(f) {
        const { text, segs } = this.text();
        if (!this.shown || this.shown.text !== text || !f.fix) return false;
        const repl = f.fix.replacement;
        const expected = text.slice(0, f.s) + repl + text.slice(f.e);
        const ed = this.editor;
        ed.focus();
        if (this.textarea) {
          ed.setSelectionRange(f.s, f.e);
          let ok = false;
          try { ok = document.execCommand("insertText", false, repl); } catch { ok = false; }
          if (!ok || ed.value !== expected) {
            const setter = Object.getOwnPropertyDescriptor(win.HTMLTextAreaElement.prototype, "value").set;
            setter.call(ed, expected);
            ed.setSelectionRange(f.s + repl.length, f.s + repl.length);
            ed.dispatchEvent(new win.InputEvent("input", { bubbles: true, inputType: "insertReplacementText", data: repl }));
          }
        } else {
          const range = this.domRange(segs, f.s, f.e);
          if (!range) return false;
          const sel = ed.ownerDocument.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          let ok = false;
          try { ok = document.execCommand("insertText", false, repl); } catch { ok = false; }
          if (!ok) {
            range.deleteContents();
            range.insertNode(document.createTextNode(repl));
            ed.dispatchEvent(new win.InputEvent("input", { bubbles: true, inputType: "insertReplacementText", data: repl }));
          }
        }
        this.shown = null;
        this.schedule(0);
        return true;
      }

      domRange(segs, s, e) {
        const at = (i, isEnd) => {
          for (let k = 0; k < segs.length; k++) {
            const seg = segs[k], end = seg.start + seg.node.length;
            if (isEnd ? i > seg.start && i <= end : i >= seg.start && i < end) return [seg.node, i - seg.start];
            if (!isEnd && i < seg.start) return [seg.node, 0];
          }
          return null;
        };
        const a = at(s, false), b = at(e, true);
        if (!a || !b) return null;
        const range = document.createRange();
        range.setStart(a[0], a[1]);
        range.setEnd(b[0], b[1]);
        return range;
      }
    }

    // ---- layout on every scroll, resize, input ----
    let frame = 0;
    function relayout() {
      if (frame) return;
      frame = win.requestAnimationFrame(() => {
        frame = 0;
        for (const s of [...sessions]) s.layout();
        if (card && !card.hidden && hovered && !sessions.has(hovered.session)) hideCard();
      });
    }
    on(win, "scroll", relayout, { capture: true, passive: true });
    on(win, "resize", relayout, { passive: true });

    // ---- the hover card ----
    let hovered = null, hideTimer = 0;
    function showCard(session, h) {
      ui();
      clearTimeout(hideTimer);
      if (hovered && hovered.f === h.f && !card.hidden) return;
      if (hovered && hovered.session !== session) { hovered.session.hot = null; paintHot(hovered.session); }
      hovered = { session, f: h.f };
      session.hot = h.f;
      const f = h.f, ru = session.shown.answer.language === "ru";
      card.textContent = "";
      const meta = el("div", "meta");
      meta.append(el("span", "chip", f.category), el("span", "sev-" + f.severity, f.severity));
      card.append(meta, el("div", "msg", f.message));
      // The fix first: an editor in a small iframe may not fit the whole card.
      if (f.fix) {
        const b = el("button", "fix", (ru ? "Заменить на «" : "Replace with «") + f.fix.replacement + "»");
        b.addEventListener("click", () => { hideCard(); session.applyFix(f); });
        card.append(b);
      }
      if (f.doc && f.doc.explanation) card.append(el("div", "why", f.doc.explanation));
      const list = (label, items, bad) => {
        if (!items || !items.length) return;
        card.append(el("div", "label" + (bad ? " bad" : ""), label));
        const ul = el("ul");
        for (const t of items.slice(0, 3)) ul.append(el("li", "", t));
        card.append(ul);
      };
      list(ru ? "Лучше так:" : "Instead:", f.suggestions && f.suggestions.length ? f.suggestions : f.doc && f.doc.suggestions);
      if (f.doc) list(ru ? "Например, так не надо:" : "Examples it flags:", (f.doc.reported || []).slice(0, 2), true);
      card.append(el("div", "rule", f.rule));
      card.hidden = false;
      const w = Math.min(380, win.innerWidth - 16);
      card.style.left = Math.max(8, Math.min(h.left, win.innerWidth - w - 8)) + "px";
      const below = h.bottom + 6;
      card.style.top = "0px";
      const ch = card.offsetHeight;
      let top = below;
      if (below + ch > win.innerHeight - 8) top = h.top - ch - 6 > 8 ? h.top - ch - 6 : Math.max(8, win.innerHeight - ch - 8);
      card.style.top = top + "px";
      paintHot(session);
    }
    function paintHot(session) {
      for (const m of session.marks.children) m.classList.toggle("hot", !!session.hot && m.dataset.n === String(session.hot.n));
    }
    function hideCard() {
      if (!card) return;
      card.hidden = true;
      if (hovered) { hovered.session.hot = null; paintHot(hovered.session); }
      hovered = null;
    }
    let pointer = null, moveQueued = false;
    on(win, "mousemove", (e) => {
      pointer = e;
      if (moveQueued) return;
      moveQueued = true;
      win.requestAnimationFrame(() => {
        moveQueued = false;
        const ev = pointer;
        if (card && !card.hidden && ev.composedPath().includes(card)) { clearTimeout(hideTimer); return; }
        for (const s of sessions) {
          const h = s.findingAt(ev.clientX, ev.clientY);
          if (h) { showCard(s, h); return; }
        }
        if (card && !card.hidden) {
          clearTimeout(hideTimer);
          hideTimer = setTimeout(hideCard, 350);
        }
      });
    }, { passive: true });
    on(win, "keydown", (e) => { if (e.key === "Escape") { hideCard(); if (panel) panel.hidden = true; } }, true);

    // ---- the findings panel (the badge's click) ----
    function togglePanel(session) {
      ui();
      if (!panel.hidden && panel.owner === session) { panel.hidden = true; return; }
      panel.owner = session;
      renderPanel(session);
    }
    function renderPanel(session) {
      panel.textContent = "";
      const shown = session.shown;
      if (session.state === "offline") {
        panel.append(el("div", "msg", "apolint offline"), el("div", "why", "The apolint service does not answer. Start it (apolint serve) or set its URL in the extension's options."));
      } else if (!shown) {
        panel.append(el("div", "why", session.badge.title || "Type a reply to check it."));
      } else {
        const a = shown.answer, ru = a.language === "ru";
        panel.append(el("h4", "", `Verdict: ${a.verdict}`));
        if (a.structure && a.structure.parts) {
          panel.append(el("h4", "", (ru ? "Структура ответа" : "Reply structure") +
            (typeof a.structure.score === "number" ? ` · ${a.structure.score}/100` : "")));
          const ul = el("ul", "structure");
          for (const name of PARTS) {
            const p = a.structure.parts[name];
            if (!p) continue;
            const li = el("li", p.present ? "present" : p.expected ? "missing" : "optional", name);
            li.dataset.part = name;
            ul.append(li);
          }
          panel.append(ul);
        }
        if (!shown.findings.length) panel.append(el("div", "why", ru ? "Замечаний нет." : "No findings."));
        for (const f of shown.findings) {
          const item = el("div", "item " + f.severity);
          item.dataset.rule = f.rule;
          const quote = DOCUMENT_LEVEL.has(f.category) ? (ru ? "весь ответ" : "whole reply") : `«${shown.text.slice(f.s, f.e)}»`;
          item.append(el("div", "msg", f.message), el("div", "rule", `${f.category} · ${quote}`));
          panel.append(item);
        }
      }
      panel.hidden = false;
      // Above the badge, or below it when there is more room there; never over it.
      const b = session.badge.getBoundingClientRect();
      const aboveRoom = b.top - 14, belowRoom = win.innerHeight - b.bottom - 14;
      const above = aboveRoom >= Math.min(240, belowRoom);
      panel.style.maxHeight = Math.max(80, above ? aboveRoom : belowRoom) + "px";
      panel.style.left = Math.max(8, Math.min(b.right - 360, win.innerWidth - 368)) + "px";
      panel.style.top = "0px";
      const ph = panel.offsetHeight;
      panel.style.top = (above ? Math.max(8, b.top - ph - 6) : b.bottom + 6) + "px";
    }

    // ---- finding the editor ----
    const editors = new WeakMap();
    function editorOf(target) {
      if (!target || target.nodeType !== win.Node.ELEMENT_NODE) return null;
      if (target.tagName === "IFRAME") { adopt(target); return null; }
      if (target.tagName === "TEXTAREA") {
        if (target.readOnly || target.disabled || target.offsetHeight < 24) return null;
        return target;
      }
      if (!target.isContentEditable) return null;
      let root = target;
      while (root.parentElement && root.parentElement.isContentEditable && root.parentElement !== document.documentElement) {
        root = root.parentElement;
      }
      return root;
    }
    function attach(target) {
      const ed = editorOf(target);
      if (!ed || editors.has(ed)) return;
      editors.set(ed, new Session(ed));
    }
    // Listeners on the window and document, added again after a
    // document.open() of an adopted frame erased them.
    function bind() {
      for (const [target, type, fn, opts] of bound) target.removeEventListener(type, fn, opts);
      for (const [target, type, fn, opts] of bound) target.addEventListener(type, fn, opts);
      if (document.activeElement) attach(document.activeElement);
    }
    on(document, "focusin", (e) => attach(e.composedPath()[0]), true);
    // Focus moving into a child frame blurs this window (and may fire no
    // focusin on the <iframe>): look whether it went to an editable one.
    on(win, "blur", () => win.setTimeout(() => {
      const a = document.activeElement;
      if (a && a.tagName === "IFRAME") adopt(a);
    }, 0));
    return { bind };
  }

  // A same-origin iframe without an address (about:blank, srcdoc, or one
  // written with document.open) that got focus: install in its window
  // from here (no copy of this script runs there).
  const adopted = new WeakMap();
  function adopt(iframe) {
    let win, doc;
    try { win = iframe.contentWindow; doc = iframe.contentDocument; } catch { return; }
    // Frames with an address of their own run their own copy (all_frames);
    // one without (no src, about:blank, srcdoc; its URL becomes ours after
    // a document.open) gets none.
    const src = iframe.getAttribute("src");
    const own = src && !/^\s*about:/i.test(src) && !iframe.hasAttribute("srcdoc");
    if (!win || !doc || own) return;
    let ctl = adopted.get(doc);
    if (!ctl) { ctl = install(win); adopted.set(doc, ctl); }
    ctl.bind();
  }

  install(window).bind();
})();
