// The report viewer: bring the cited passage into view and give it the focus (keyboard and screen readers).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const cited = document.getElementById("cited");
  if (!cited) return;
  cited.scrollIntoView({ block: "center" });
  cited.focus({ preventScroll: true });
});
