// The report viewer and the page view: bring the cited passage into view (on a page: its first outlined line) and
// give its text the focus (keyboard and screen readers).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const cited = document.getElementById("cited");
  if (!cited) return;
  const firstBox = document.querySelector(".cited-box");
  (firstBox || cited).scrollIntoView({ block: "center" });
  cited.focus({ preventScroll: true });
});
