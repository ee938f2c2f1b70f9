// Small progressive enhancements; every page works without them. No inline scripts (CSP).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]")) el.form.submit();
  // 全选本页 (审核工作台): ticks or unticks every box of its name in the form
  if (el.matches("input[data-check-all]")) {
    for (const box of el.form.querySelectorAll(`input[name="${el.dataset.checkAll}"]`)) {
      box.checked = el.checked;
    }
  }
});

// Buttons that lock or unlock a form (提交审核, 撤回) ask first, saying what will happen. A "no"
// cancels the click before the form is submitted: the page, and everything typed, stays as is.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Nothing typed is lost, even when the session times out before a save: forms marked
// data-draft-key keep their typed values in this browser. The stored copy carries the form's
// version; once the server has saved (the version went up) it is dropped, otherwise the next
// visit offers to put it back.
//
// The copy belongs to the user who typed it: its key holds the user name (<body
// data-draft-owner>), so it is never offered to someone else using the same browser. Logging
// out clears every copy (nothing is left to recover: the user left on purpose). When the session
// simply expired there was no logout: the login page then clears the copies of everyone but the
// user who signs in, who gets theirs back.
const DRAFT_PREFIX = "jxzp-draft:";

function draftKeys() {
  const keys = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key && key.startsWith(DRAFT_PREFIX)) keys.push(key);
  }
  return keys;
}

function draftOwnerPart(username) {
  return encodeURIComponent(username) + ":";
}

function clearDrafts(keep) {
  for (const key of draftKeys()) {
    if (!keep || !key.startsWith(DRAFT_PREFIX + keep)) localStorage.removeItem(key);
  }
}

(() => {
  if (!window.localStorage) return;
  // copies from before they were keyed by user ("jxzp-draft:<form>"): nobody's, so dropped
  for (const key of draftKeys()) {
    if (!key.slice(DRAFT_PREFIX.length).includes(":")) localStorage.removeItem(key);
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form[data-logout]")) clearDrafts(null);
    if (form.matches("form[data-login]")) {
      const name = form.querySelector("input[name=username]");
      clearDrafts(name && name.value ? draftOwnerPart(name.value) : null);
    }
  });
})();

(() => {
  const form = document.querySelector("form[data-draft-key]");
  const owner = document.body.dataset.draftOwner;
  if (!form || !owner || !window.localStorage) return;
  const key = DRAFT_PREFIX + draftOwnerPart(owner) + form.dataset.draftKey;
  const versionInput = form.querySelector("input[name=version]");
  const version = versionInput ? Number(versionInput.value) : 0;
  const skip = new Set(["csrfmiddlewaretoken", "version", "action"]);

  function values() {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || skip.has(el.name) || el.type === "file") continue;
      out[el.name] = el.type === "checkbox" ? el.checked : el.value;
    }
    return out;
  }

  let stored = null;
  try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
  if (stored && stored.version < version) { localStorage.removeItem(key); stored = null; }

  const current = values();
  const differs = stored && Object.entries(stored.values).some(([n, v]) => n in current && current[n] !== v
    || !(n in current) && /^rows-\d+-/.test(n));
  if (stored && stored.version === version && differs) {
    const bar = document.createElement("div");
    bar.className = "restore-bar";
    bar.innerHTML = `<span>发现您在 ${new Date(stored.at).toLocaleString("zh-CN")} 未保存的输入（可能因登录超时未能保存）。</span>`;
    const restore = document.createElement("button");
    restore.type = "button"; restore.className = "btn btn-primary small"; restore.textContent = "恢复输入";
    const drop = document.createElement("button");
    drop.type = "button"; drop.className = "btn small"; drop.textContent = "放弃";
    bar.append(restore, drop);
    form.prepend(bar);
    restore.addEventListener("click", () => {
      const add = document.getElementById("add-row");
      const total = form.querySelector("input[name=rows-TOTAL_FORMS]");
      const wanted = Number(stored.values["rows-TOTAL_FORMS"] || 0);
      while (add && total && Number(total.value) < wanted) add.click();
      for (const [name, value] of Object.entries(stored.values)) {
        const el = form.elements.namedItem(name);
        if (!el || el instanceof RadioNodeList) continue;
        if (el.type === "checkbox") el.checked = value; else el.value = value;
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
      for (const row of form.querySelectorAll("tr.ind-row")) {
        const del = row.querySelector("input[name$=-DELETE]");
        if (del && del.checked) row.hidden = true;
      }
      form.dispatchEvent(new Event("input", { bubbles: true }));
      bar.remove();
    });
    drop.addEventListener("click", () => { localStorage.removeItem(key); bar.remove(); });
  }

  let timer = null;
  const write = () => {
    clearTimeout(timer);
    localStorage.setItem(key, JSON.stringify({ version, at: Date.now(), values: values() }));
  };
  const remember = () => {
    clearTimeout(timer);
    timer = setTimeout(write, 300);
  };
  // a submission may never reach the server (expired session): keep exactly what was sent
  form.addEventListener("submit", write);
  window.addEventListener("pagehide", () => { if (timer) write(); });
  form.addEventListener("input", remember);
  form.addEventListener("change", remember);
  form.addEventListener("click", (e) => { if (e.target.closest("button[type=button]")) remember(); });
})();
