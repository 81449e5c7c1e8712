// What a reviewer with axe would flag first, checked in the page itself (no extra packages):
// text below WCAG AA contrast, and form controls, buttons and links without an accessible name.
() => {
  "use strict";
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== "hidden" && style.display !== "none"
      && !el.closest("[aria-hidden='true'], .visually-hidden, .visually-hidden-focusable");
  };
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) { return null; }
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const ch = [c.r, c.g, c.b].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  // The colour behind an element: its own and its ancestors' backgrounds, stacked.
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== "none" && !node.matches("select, .form-select")) {
        return null;  // a picture or gradient: cannot tell
      }
      const color = parse(style.backgroundColor);
      if (color && color.a > 0) {
        layers.push(color);
        if (color.a >= 1) { break; }
      }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i -= 1) { result = over(layers[i], result); }
    return result;
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}"`;
  };
  for (const el of document.querySelectorAll("body *")) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea");
    if (!(own || (field && el.value)) || !visible(el) || el.closest(":disabled, .disabled")) { continue; }
    const style = getComputedStyle(el);
    const back = background(el);
    const fore = parse(style.color);
    if (!back || !fore) { continue; }
    const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const contrast = ratio(luminance(over(fore, back)), luminance(back));
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (contrast < (large ? 3 : 4.5) - 0.005) {
      problems.push(`contrast ${contrast.toFixed(2)}:1 of ${describe(el)}`);
    }
  }
  const named = (el) => {
    if ((el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby")) { return true; }
    if (el.labels && el.labels.length) { return true; }
    if (el.matches("button, a") && el.innerText.trim()) { return true; }
    return Boolean((el.getAttribute("title") || "").trim());
  };
  const controls = "input:not([type=hidden]), select, textarea, button, a[href]";
  for (const el of document.querySelectorAll(controls)) {
    if (visible(el) && !named(el)) { problems.push(`no accessible name: ${el.outerHTML.slice(0, 120)}`); }
  }
  return problems;
}
