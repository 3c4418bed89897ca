// The arrival board's live updates: listens to the board's server-sent events and, when a
// station changes, fetches this same page again and swaps the board section in place (the page
// reads whole without this script; reloading shows the same). Every 60 s it refreshes anyway,
// for changes announced by another server behind the same load balancer.
(function () {
  'use strict';
  var live = document.getElementById('board-live');
  if (!live || !window.fetch || !window.DOMParser) return;
  var pending = null;
  var busy = false;
  function refresh() {
    pending = null;
    if (busy) { schedule(500); return; }
    busy = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('board-live');
        if (!fresh) return;
        var focused = document.activeElement && document.activeElement.id;
        live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes).map(function (n) {
          return document.importNode(n, true);
        }));
        live.setAttribute('data-updated', String(Date.now()));
        if (focused) { var el = document.getElementById(focused); if (el) el.focus(); }
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  function schedule(ms) {
    if (pending === null) pending = window.setTimeout(refresh, ms);
  }
  if (window.EventSource && live.getAttribute('data-events')) {
    var source = new EventSource(live.getAttribute('data-events'));
    source.addEventListener('station', function () { schedule(300); });
    source.addEventListener('reload', function () { schedule(300); });
    live.setAttribute('data-live', 'on');
  }
  window.setInterval(function () { schedule(0); }, 60000);
})();
