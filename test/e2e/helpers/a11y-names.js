/**
 * Returns a description of every visible control without an accessible name (a cheap approximation
 * of the accessible-name computation: aria-label(ledby), <label>, text content, title, alt).
 * Run in the page: `await page.evaluate(readFileSync(this file))`.
 */
(() => {
  const controls = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, a[href], [role=button], [tabindex]:not([tabindex="-1"])',
  );
  const missing = [];
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height && el.type !== 'radio') continue;
    const labelledby = el.getAttribute('aria-labelledby');
    const name =
      el.getAttribute('aria-label') ||
      (labelledby &&
        labelledby
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' ')) ||
      (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent) ||
      el.closest('label')?.textContent ||
      (['BUTTON', 'A'].includes(el.tagName) || el.getAttribute('role') === 'button' ? el.textContent : '') ||
      el.getAttribute('title') ||
      '';
    if (!name.trim())
      missing.push(
        `${el.tagName.toLowerCase()}${el.type ? `[type=${el.type}]` : ''}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''} ${el.className}`,
      );
  }
  return missing;
})();
