// 佐证材料 without leaving the page: each line's upload (with a progress bar) and each file's
// delete are sent by XMLHttpRequest (fetch reports no upload progress) asking for JSON; the
// answer lists the new file under its line or shows the refusal beside it. Nothing else on the
// page is touched, so what was typed in the form and not saved yet stays. Without this script the
// forms post and redirect as before.
(() => {
  const section = document.getElementById("evidence");
  if (!section) return;

  function lineOf(el) {
    return el.closest("tr[data-evidence-line]");
  }

  function showError(line, message) {
    const box = line.querySelector(".evidence-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function refreshEmpty(line) {
    const none = line.querySelector(".evidence-none");
    if (none) none.hidden = line.querySelector(".file") !== null;
  }

  function send(form, onProgress) {
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.responseType = "json";
      if (onProgress) {
        request.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
        });
      }
      request.addEventListener("load", () => {
        const data = request.response;
        if (request.status === 200 && data) resolve(data);
        else if (request.status === 403) resolve({ ok: false, error: "页面已过期或登录已超时，请另开窗口登录后重试（本页输入不会丢失）。" });
        else if (request.status === 404) resolve({ ok: false, error: "找不到该表单或文件（可能已被删除或您无权访问），请刷新页面。" });
        else if (request.status === 413) resolve({ ok: false, error: "文件过大，服务器拒绝接收。" });
        else resolve({ ok: false, error: `上传失败（服务器返回 ${request.status}），请稍后重试。` });
      });
      request.addEventListener("error", () => resolve({ ok: false, error: "网络中断，未能上传，请稍后重试。" }));
      request.send(new FormData(form));
    });
  }

  section.addEventListener("submit", async (event) => {
    const form = event.target;
    const line = lineOf(form);
    if (!line) return;
    if (form.matches("form.evidence-upload")) {
      event.preventDefault();
      const input = form.querySelector("input[type=file]");
      if (!input.files.length) { showError(line, "请选择要上传的文件。"); return; }
      const button = form.querySelector("button[type=submit]");
      const bar = form.querySelector("progress");
      showError(line, "");
      button.disabled = true;
      bar.value = 0;
      bar.hidden = false;
      const data = await send(form, (percent) => { bar.value = percent; });
      button.disabled = false;
      bar.hidden = true;
      if (!data.ok) { showError(line, data.error); return; }
      const files = line.querySelector(".evidence-files");
      const holder = document.createElement("div");
      holder.innerHTML = data.html; // rendered by the server's template, escaped there
      files.insertBefore(holder.firstElementChild, files.querySelector(".evidence-none"));
      input.value = "";
      refreshEmpty(line);
    } else if (form.matches("form.evidence-delete")) {
      event.preventDefault();
      const file = form.closest(".file");
      const data = await send(form, null);
      if (!data.ok) { showError(line, data.error); return; }
      showError(line, "");
      file.remove();
      refreshEmpty(line);
    }
  });
})();
