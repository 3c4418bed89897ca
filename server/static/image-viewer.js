// The review's image viewer: zoom (buttons, wheel), pan (drag, arrow keys when focused) and
// rotate each page's image inside its frame. Without this script the plain image shows, with a
// link to open it whole. Labels come from the page (data-* attributes, from the catalogue).
(function () {
  'use strict';
  function setUp(frame) {
    var img = frame.querySelector('img');
    if (!img) return;
    var s = { zoom: 1, angle: 0, x: 0, y: 0 };
    function apply() {
      img.style.transform = 'translate(' + s.x + 'px,' + s.y + 'px) rotate(' + s.angle + 'deg) scale(' + s.zoom + ')';
      frame.setAttribute('data-zoom', String(s.zoom));
      frame.setAttribute('data-angle', String(s.angle));
    }
    function button(label, act) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.addEventListener('click', function () { act(); apply(); });
      return b;
    }
    var bar = document.createElement('div');
    bar.className = 'viewer-tools';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', frame.getAttribute('data-tools') || '');
    bar.appendChild(button(frame.getAttribute('data-zoom-in') || '+', function () { s.zoom = Math.min(8, s.zoom * 1.25); }));
    bar.appendChild(button(frame.getAttribute('data-zoom-out') || '-', function () { s.zoom = Math.max(0.25, s.zoom / 1.25); }));
    bar.appendChild(button(frame.getAttribute('data-rotate') || '↻', function () { s.angle = (s.angle + 90) % 360; }));
    bar.appendChild(button(frame.getAttribute('data-reset') || '0', function () { s.zoom = 1; s.angle = 0; s.x = 0; s.y = 0; }));
    frame.parentNode.insertBefore(bar, frame);
    frame.classList.add('viewer-on');
    frame.tabIndex = 0;
    var drag = null;
    frame.addEventListener('pointerdown', function (e) {
      drag = { x: e.clientX - s.x, y: e.clientY - s.y };
      frame.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    frame.addEventListener('pointermove', function (e) {
      if (!drag) return;
      s.x = e.clientX - drag.x;
      s.y = e.clientY - drag.y;
      apply();
    });
    frame.addEventListener('pointerup', function () { drag = null; });
    frame.addEventListener('pointercancel', function () { drag = null; });
    frame.addEventListener('wheel', function (e) {
      e.preventDefault();
      s.zoom = e.deltaY < 0 ? Math.min(8, s.zoom * 1.1) : Math.max(0.25, s.zoom / 1.1);
      apply();
    }, { passive: false });
    frame.addEventListener('keydown', function (e) {
      var step = 40;
      if (e.key === 'ArrowLeft') s.x -= step;
      else if (e.key === 'ArrowRight') s.x += step;
      else if (e.key === 'ArrowUp') s.y -= step;
      else if (e.key === 'ArrowDown') s.y += step;
      else if (e.key === '+') s.zoom = Math.min(8, s.zoom * 1.25);
      else if (e.key === '-') s.zoom = Math.max(0.25, s.zoom / 1.25);
      else return;
      e.preventDefault();
      apply();
    });
    apply();
  }
  Array.prototype.forEach.call(document.querySelectorAll('.viewer'), setUp);
})();
