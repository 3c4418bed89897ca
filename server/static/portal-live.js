// The constituency page's live updates: on each `change` server-sent event, fetch this same page
// again (revalidating with its ETag) and swap the #live part in place. The page reads whole
// without this script; reloading shows the same.
(function () {
  'use strict';
  var live = document.getElementById('live');
  var status = document.getElementById('live-status');
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var busy = false;
  function refresh() {
    timer = null;
    if (busy) { schedule(500); return; }
    busy = true;
    fetch(window.location.href, { cache: 'no-cache', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('live');
        if (!fresh) return;
        live.replaceChildren.apply(live, Array.prototype.map.call(fresh.childNodes, function (n) {
          return document.importNode(n, true);
        }));
        live.setAttribute('data-updated', String(Date.now()));
        if (status) status.textContent = status.getAttribute('data-updated-text') || '';
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  function schedule(ms) { if (timer === null) timer = window.setTimeout(refresh, ms); }
  var source = new EventSource(live.getAttribute('data-events'));
  source.addEventListener('change', function () { schedule(200); });
  live.setAttribute('data-live', 'on');
})();
