// 绩效监控表: the line's light follows its 完成目标可能性 as the clerk picks it (the rule of
// evaluations/lights.py: 确定能完成 green, 有可能完成 yellow, 完全不可能完成 red); the server
// computes and stores the lights again on save, so this is only a preview.
(function () {
  "use strict";
  var LIGHTS = {
    certain: ["light-green", "● 绿灯"],
    possible: ["light-yellow", "● 黄灯"],
    impossible: ["light-red", "● 红灯"],
  };
  document.querySelectorAll("select.w-likelihood").forEach(function (select) {
    select.addEventListener("change", function () {
      var cell = select.closest("tr").querySelector(".line-light");
      if (!cell) return;
      var light = LIGHTS[select.value];
      cell.innerHTML = "";
      var span = document.createElement("span");
      span.className = "light " + (light ? light[0] : "light-none muted");
      span.textContent = light ? light[1] : "—";
      cell.appendChild(span);
    });
  });
})();
