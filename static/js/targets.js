// The indicator grid: add, reorder and remove rows without a reload; nothing typed is lost,
// because every row stays a form row until the server saves the whole grid.
(() => {
  const form = document.getElementById("target-form");
  if (!form) return;
  const body = document.getElementById("rows");
  const total = form.querySelector("input[name=rows-TOTAL_FORMS]");
  const template = document.getElementById("row-template");

  const rows = () => [...body.querySelectorAll("tr.ind-row")].filter((r) => !r.hidden);

  function renumber() {
    rows().forEach((row, i) => {
      row.querySelector("input[name$=-ORDER]").value = i + 1;
      row.querySelector(".row-no").textContent = i + 1;
    });
    sums();
  }

  function filterLevel2(row) {
    const level1 = row.querySelector("select.level1").value;
    const level2 = row.querySelector("select.level2");
    for (const option of level2.options) {
      const parent = option.dataset.parent;
      option.hidden = Boolean(parent) && parent !== level1;
    }
    const chosen = level2.selectedOptions[0];
    if (chosen && chosen.hidden) level2.value = "";
  }

  function sums() {
    const perLevel1 = new Map();
    let all = 0;
    for (const row of rows()) {
      const weight = parseFloat(row.querySelector("input.w-weight").value) || 0;
      const level1 = row.querySelector("select.level1");
      const name = level1.selectedOptions[0] ? level1.selectedOptions[0].text : "";
      if (level1.value) perLevel1.set(name, (perLevel1.get(name) || 0) + weight);
      all += weight;
    }
    // written only when changed: replacing the same text moves Chromium's scroll anchor, which
    // scrolled the page under a click on 保存草稿 made right after typing a weight (the click
    // then missed the button)
    const show = (id, text) => {
      const el = document.getElementById(id);
      if (el.textContent !== text) el.textContent = text;
    };
    show("weight-total", all.toFixed(2));
    show("weight-sums", [...perLevel1].map(([name, w]) => `${name} ${w.toFixed(2)}`).join("，"));
  }

  function messageRow(row) {
    const next = row.nextElementSibling;
    return next && next.classList.contains("row-msg") ? next : null;
  }

  document.getElementById("add-row").addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    const row = rows().at(-1);
    filterLevel2(row);
    renumber();
    row.querySelector("select.level1").focus();
  });

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr.ind-row");
    const msg = messageRow(row);
    if (button.hasAttribute("data-remove")) {
      row.querySelector("input[name$=-DELETE]").checked = true;
      row.hidden = true;
      if (msg) msg.hidden = true;
    } else if (button.dataset.move === "up") {
      let prev = row.previousElementSibling;
      while (prev && (prev.hidden || prev.classList.contains("row-msg"))) prev = prev.previousElementSibling;
      if (prev) { prev.before(row); if (msg) row.after(msg); }
    } else if (button.dataset.move === "down") {
      let next = (msg || row).nextElementSibling;
      while (next && next.hidden) next = next.nextElementSibling;
      if (next) {
        const after = messageRow(next) || next;
        after.after(row);
        if (msg) row.after(msg);
      }
    }
    renumber();
  });

  body.addEventListener("change", (event) => {
    if (event.target.matches("select.level1")) filterLevel2(event.target.closest("tr"));
    sums();
  });
  body.addEventListener("input", (event) => {
    if (event.target.matches("input.w-weight")) sums();
  });

  // 指标库: an ARIA combobox over the active entries delivered with the page (no request while
  // typing). Type to filter (name, code, 行业/领域, 二级, 指标解释), narrow by 行业/领域 and 二级;
  // ↑↓ move, Enter or a click chooses, Esc closes. The chosen entry fills the first empty row
  // (a new one when there is none); the row stays editable and the server checks it on save.
  const libraryData = document.getElementById("library-data");
  if (libraryData) {
    const entries = JSON.parse(libraryData.textContent);
    const input = document.getElementById("lib-q");
    const list = document.getElementById("lib-list");
    const domain = document.getElementById("lib-domain");
    const level2Filter = document.getElementById("lib-level2");
    const status = document.getElementById("lib-status");
    const MAX_SHOWN = 50;
    let shown = [];
    let active = -1;

    const options = (select, values) => {
      for (const value of [...new Set(values)].filter(Boolean).sort((a, b) => a.localeCompare(b, "zh"))) {
        select.add(new Option(value, value));
      }
    };
    options(domain, entries.map((e) => e.domain));
    options(level2Filter, entries.map((e) => e.level2));

    function matches(entry, words) {
      if (domain.value && entry.domain !== domain.value) return false;
      if (level2Filter.value && entry.level2 !== level2Filter.value) return false;
      const text = [entry.code, entry.name, entry.domain, entry.level1, entry.level2, entry.explanation]
        .join(" ").toLowerCase();
      return words.every((w) => text.includes(w));
    }

    function setActive(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function open() {
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const found = entries.filter((e) => matches(e, words));
      shown = found.slice(0, MAX_SHOWN);
      list.replaceChildren(...shown.map((entry, i) => {
        const item = document.createElement("li");
        item.id = `lib-option-${i}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.index = String(i);
        const value = entry.typical_value
          ? `${entry.comparator === "定性" ? "" : entry.comparator}${entry.typical_value}${entry.unit}` : entry.comparator;
        item.innerHTML = "<span class=\"lib-name\"></span><span class=\"lib-meta muted small\"></span>";
        item.firstChild.textContent = entry.name;
        item.lastChild.textContent = `${entry.code} · ${entry.level2}${entry.domain ? " · " + entry.domain : ""} · ${value}`;
        return item;
      }));
      status.textContent = found.length
        ? `找到 ${found.length} 条${found.length > MAX_SHOWN ? `，显示前 ${MAX_SHOWN} 条` : ""}`
        : "指标库中没有匹配的指标";
      list.hidden = shown.length === 0;
      input.setAttribute("aria-expanded", String(shown.length > 0));
      setActive(shown.length ? 0 : -1);
    }

    function emptyRow() {
      return rows().find((row) => !row.querySelector("input.w-name").value.trim()
        && !row.querySelector("input.w-target").value.trim());
    }

    function fill(entry) {
      let row = emptyRow();
      if (!row) {
        document.getElementById("add-row").click();
        row = rows().at(-1);
      }
      const level1 = row.querySelector("select.level1");
      const first = [...level1.options].find((o) => o.value && o.text === entry.level1);
      level1.value = first ? first.value : "";
      filterLevel2(row);
      const level2 = row.querySelector("select.level2");
      const second = [...level2.options].find((o) => o.value && !o.hidden && o.text === entry.level2);
      level2.value = second ? second.value : "";
      const set = (selector, value) => { row.querySelector(selector).value = value || ""; };
      set("input.w-name", entry.name);
      set("select[name$=-comparator]", entry.comparator);
      set("input.w-target", entry.typical_value);
      set("input.w-unit", entry.unit);
      set("input.w-explanation", entry.explanation);
      set("input.w-rule", entry.scoring_rule);
      set("input.w-library", String(entry.id));
      const badge = row.querySelector(".lib-badge");
      badge.hidden = false;
      badge.textContent = `库 ${entry.code}`;
      badge.title = `指标库 ${entry.code}（${entry.domain || "通用"}）\n指标解释：${entry.explanation || "—"}\n评（扣）分标准：${entry.scoring_rule || "—"}`;
      row.querySelector("input.w-name").dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = `已填入：${entry.name}（请填写分值）`;
      renumber();
    }

    function choose(index) {
      const entry = shown[index];
      if (!entry) return;
      fill(entry);
      input.value = "";
      close();
      input.focus();
    }

    let closing = null; // a blur closes the list a moment later, unless the focus comes back
    const cancelClose = () => { clearTimeout(closing); closing = null; };
    input.addEventListener("input", () => { cancelClose(); open(); });
    input.addEventListener("focus", () => { cancelClose(); if (input.value.trim()) open(); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { open(); return; }
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((active + step + shown.length) % shown.length);
      } else if (event.key === "Enter") {
        event.preventDefault(); // never submits the grid
        if (!list.hidden && active >= 0) choose(active);
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", () => { closing = setTimeout(close, 150); });
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keeps the focus
    list.addEventListener("click", (event) => {
      const item = event.target.closest("[role=option]");
      if (item) choose(Number(item.dataset.index));
    });
    for (const select of [domain, level2Filter]) {
      select.addEventListener("change", () => { open(); input.focus(); });
    }
  }

  rows().forEach(filterLevel2);
  renumber();
})();
