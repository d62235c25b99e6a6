// Papershelf: the little JavaScript the pages use. Everything works without
// it; this adds keyboard shortcuts, text selection for highlights and the
// live region that announces what an htmx action did.
"use strict";

(function () {
  const announcer = () => document.getElementById("announcer");

  // Actions send an "announce" event (HX-Trigger); screen readers hear it.
  document.body.addEventListener("announce", (event) => {
    const region = announcer();
    if (!region || !event.detail || !event.detail.message) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = event.detail.message; }, 50);
  });

  // ---- Keyboard shortcuts on lists of papers --------------------------------
  const rows = () => Array.from(document.querySelectorAll("[data-paper-row]"));
  let current = -1;

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable='true']");
  }

  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("paper-row--current", i === current));
    const link = all[current].querySelector("[data-open]");
    if (link) link.focus();
  }

  function currentRow() {
    const all = rows();
    const focused = document.activeElement && document.activeElement.closest("[data-paper-row]");
    if (focused) current = all.indexOf(focused);
    return all[current] || null;
  }

  function toggleHelp() {
    const dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      if (event.key === "Escape" && typing(event.target)) event.target.blur();
      return;
    }
    const row = currentRow();
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "o":
        if (row) row.querySelector("[data-open]").click();
        break;
      case "t":
        if (row && row.querySelector("[data-tag-input]")) row.querySelector("[data-tag-input]").focus();
        break;
      case "s":
        if (row) row.querySelector("[data-status-cycle]").click();
        break;
      case "/": {
        const search = document.querySelector("[data-search]");
        if (!search) return;
        search.focus();
        break;
      }
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  // ---- Highlights: turn a selection in the title or abstract into a note ----
  function offsetIn(container, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  document.addEventListener("selectionchange", () => {
    const form = document.getElementById("note-form");
    if (!form) return;
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    const container = range.commonAncestorContainer.nodeType === Node.ELEMENT_NODE
      ? range.commonAncestorContainer.closest("[data-anchor-field]")
      : range.commonAncestorContainer.parentElement.closest("[data-anchor-field]");
    if (!container) return;
    const start = offsetIn(container, range.startContainer, range.startOffset);
    const end = offsetIn(container, range.endContainer, range.endOffset);
    if (end <= start) return;
    const set = (name, value) => { form.querySelector(`[data-anchor="${name}"]`).value = value; };
    set("field", container.dataset.anchorField);
    set("start", start);
    set("end", end);
    set("quote", container.textContent.slice(start, end));
  });

  // A quote typed by hand has no offsets: the server finds it in the text.
  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-anchor='quote']")) {
      const form = event.target.form;
      ["field", "start", "end"].forEach((name) => {
        form.querySelector(`[data-anchor="${name}"]`).value = "";
      });
    }
  });
})();

// ---- Reading lists: drag and drop to reorder (the arrows do it without a mouse) --
(function () {
  let dragged = null;

  document.addEventListener("dragstart", (event) => {
    dragged = event.target.closest && event.target.closest("[data-item][draggable='true']");
    if (!dragged) return;
    dragged.classList.add("list-item--dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.item);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const over = event.target.closest && event.target.closest("[data-item]");
    if (!over || over === dragged || over.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    over.parentElement.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("list-item--dragging");
    const form = document.getElementById("reorder-form");
    const items = Array.from(dragged.parentElement.querySelectorAll("[data-item]"));
    dragged = null;
    if (!form) return;
    form.querySelectorAll("input[name='item']").forEach((input) => input.remove());
    items.forEach((item) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "item";
      input.value = item.dataset.item;
      form.appendChild(input);
    });
    form.requestSubmit();
  });
})();
