/* Tables on a phone (app.css, <= 640 px) are laid out one block per row, each cell under
   its column's name, rather than in columns too narrow for their words. The name comes
   from here: every cell of a `table` gets `data-label`, its column header's visible text
   (a header that is only for screen readers gives none), also for rows the page's
   scripts add later. The tables' roles are set explicitly, so that a table drawn as
   blocks is still a table to assistive technology. */
(function () {
  "use strict";

  function visibleText(th) {
    const copy = th.cloneNode(true);
    copy.querySelectorAll(".sr-only").forEach((n) => n.remove());
    return copy.textContent.trim();
  }

  function label(table) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    const names = Array.from(head.cells, visibleText);
    table.setAttribute("role", "table");
    Array.from(table.querySelectorAll("thead, tbody, tfoot")).forEach((g) => g.setAttribute("role", "rowgroup"));
    head.setAttribute("role", "row");
    Array.from(head.cells).forEach((th) => th.setAttribute("role", "columnheader"));
    Array.from(table.tBodies).forEach((body) => {
      Array.from(body.rows).forEach((row) => {
        row.setAttribute("role", "row");
        Array.from(row.cells).forEach((cell, i) => {
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          if (names[i]) cell.dataset.label = names[i];
        });
      });
    });
  }

  function watch(table) {
    label(table);
    new MutationObserver(() => label(table)).observe(table, { childList: true, subtree: true });
  }

  document.querySelectorAll("table").forEach(watch);
})();
