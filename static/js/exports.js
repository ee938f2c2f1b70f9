// Exports: start them without leaving the page and follow their progress until the download link.
// - A form marked data-export (the buttons on a form, the form of 导出) is posted by fetch; the
//   page stays where it is. On 导出 the new job's row goes on top of 我的导出 (data-export-rows);
//   on a form a small progress line appears beside the buttons.
// - Each unfinished job (tr.job / .job with data-status) asks for its status every second.
// - Without scripts the forms post as usual and 导出 lists the job.
// While the post is under way the bar moves without a figure (with eager Celery, in development,
// the export runs inside that request); with a worker the bar shows files done / all.
(() => {
  if (window.exportsReady) return;
  window.exportsReady = true;

  const follow = (job) => {
    const bar = job.querySelector(".bar");
    const box = job.querySelector(".progress");
    const label = job.querySelector(".job-label");
    const error = job.querySelector(".job-error");
    const link = job.querySelector(".job-link");
    const file = job.querySelector(".job-file");
    const size = job.querySelector(".job-size");
    const show = (data) => {
      box.classList.toggle("waiting", data.state === "queued");
      bar.style.width = data.progress + "%";
      label.textContent = data.label;
      job.dataset.state = data.state;
      if (data.error) { error.textContent = data.error; error.hidden = false; }
      if (file && data.filename) file.textContent = data.filename;
      if (size && data.size) size.textContent = data.size;
      if (data.download && !link.querySelector("a")) {
        const a = document.createElement("a");
        a.href = data.download;
        a.textContent = job.dataset.linkText || "下载";
        if (data.filename) a.title = data.filename;
        link.replaceChildren(a);
      }
    };
    const poll = async () => {
      let data;
      try {
        const response = await fetch(job.dataset.status, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (!response.ok) return setTimeout(poll, 3000);
        data = await response.json();
      } catch (e) {
        return setTimeout(poll, 3000);
      }
      show(data);
      if (data.state !== "done" && data.state !== "failed") setTimeout(poll, 1000);
    };
    job.showStatus = show;
    if (job.dataset.state !== "done" && job.dataset.state !== "failed") poll();
  };

  // the progress line beside a form's buttons (the same parts as a row of 我的导出)
  const inlineJob = (box, button) => {
    const job = document.createElement("span");
    job.className = "job export-inline";
    job.dataset.linkText = "下载 " + button.textContent.replace(/^导出\s*/, "");
    job.innerHTML = '<span class="progress waiting"><span class="bar"></span></span>'
      + '<span class="job-label"></span> <span class="job-link"></span>'
      + '<span class="err job-error" hidden></span>';
    job.querySelector(".job-label").textContent = button.textContent.trim() + "：正在生成…";
    box.prepend(job);
    while (box.children.length > 3) box.lastElementChild.remove();  // the latest three
    return job;
  };

  // the row of 我的导出 while the post is under way: what was asked, a bar without a figure
  const pendingRow = (rows, form) => {
    const row = document.createElement("tr");
    row.className = "job pending";
    const chosen = (name) => form.elements[name]?.selectedOptions?.[0]?.textContent.trim() || "";
    for (const text of ["刚刚", chosen("year"), chosen("department"), chosen("kind"), chosen("format")]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const state = document.createElement("td");
    state.innerHTML = '<div class="progress waiting"><div class="bar"></div></div>'
      + '<span class="job-label">正在生成…</span>';
    row.append(state, document.createElement("td"), document.createElement("td"),
      document.createElement("td"));
    rows.querySelector(".empty-row")?.remove();
    rows.prepend(row);
    return row;
  };

  const start = async (form, event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button.disabled) return;  // a second click while the first is under way
    const rows = form.dataset.exportRows && document.querySelector(form.dataset.exportRows);
    const box = form.closest("[data-export-box]")?.querySelector(".export-jobs");
    const problem = form.querySelector(".export-error")
      || form.closest("[data-export-box]")?.querySelector(".export-error");
    const pending = rows ? pendingRow(rows, form) : inlineJob(box, button);
    button.disabled = true;
    button.classList.add("busy");
    if (problem) problem.hidden = true;
    let data;
    try {
      const response = await fetch(form.action || location.href, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      data = await response.json().catch(() => ({ error: "导出失败（" + response.status + "），请稍后重试。" }));
    } catch (e) {
      data = { error: "网络连接中断，导出未提交，请重试。" };
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
    if (data.error && !data.status) {
      if (rows) {
        pending.remove();
        if (problem) { problem.textContent = data.error; problem.hidden = false; }
      } else {
        pending.querySelector(".progress").remove();
        pending.querySelector(".job-label").textContent = "";
        const error = pending.querySelector(".job-error");
        error.textContent = data.error; error.hidden = false;
      }
      return;
    }
    let job = pending;
    if (rows) {
      const holder = document.createElement("tbody");
      holder.innerHTML = data.row;
      job = holder.firstElementChild;
      pending.replaceWith(job);
    } else {
      job.dataset.status = data.status;
      job.dataset.state = data.state;
    }
    follow(job);
    job.showStatus(data);
  };

  for (const form of document.querySelectorAll("form[data-export]")) {
    form.addEventListener("submit", (event) => start(form, event));
  }
  for (const job of document.querySelectorAll(".job[data-status]")) follow(job);
})();
