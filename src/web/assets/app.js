// Kiq dashboard: progressive enhancement only. Every page works without this
// file; with it, destructive forms ask first, checkboxes select all, the
// dashboard numbers and charts update live and the actor tree refreshes.
// No inline script anywhere (the Content-Security-Policy forbids it).
'use strict';
(function () {
  /** Poll interval of the dashboard numbers: one small Redis read per tab every 2 s. */
  var STATS_MS = 2000;
  /** Poll interval of the actor tree (no Redis read at all). */
  var TREE_MS = 1000;
  var REALTIME_POINTS = 60;

  function visible() {
    return document.visibilityState !== 'hidden';
  }

  // Destructive forms: a dialog; the server also asks on a page of its own
  // when `confirm` is not "yes" (no JavaScript).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var message = form.getAttribute('data-confirm');
    if (!message) return;
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    var field = form.querySelector('input[name="confirm"]');
    if (field) field.value = 'yes';
  });

  document.addEventListener('change', function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains('select-all')) return;
    var boxes = document.querySelectorAll('input[type="checkbox"][form="bulk"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = box.checked;
  });

  // Same text as the server's formatDuration (src/admin/text.ts).
  function formatDuration(s) {
    s = Math.abs(s);
    if (s < 10) return Math.round(s * 10) / 10 + 's';
    if (s < 60) return Math.round(s) + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + Math.floor(s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  }

  function chart(el, series, data, opts) {
    if (!window.uPlot || !el) return null;
    var width = Math.max(300, el.clientWidth || 600);
    return new window.uPlot(
      Object.assign(
        {
          width: width,
          height: 220,
          series: [{}].concat(series),
          axes: [{}, { size: 60 }],
          legend: { show: true },
        },
        opts || {},
      ),
      data,
      el,
    );
  }

  var SERIES = [
    { label: 'processed', stroke: '#2f7d32', width: 2 },
    { label: 'failed', stroke: '#c62828', width: 2 },
  ];

  // History: data from the page itself (data-history), no extra request.
  var historyEl = document.getElementById('history-chart');
  if (historyEl) {
    var days = JSON.parse(historyEl.getAttribute('data-history') || '[]');
    var xs = days.map(function (d) {
      return Date.parse(d.date + 'T00:00:00Z') / 1000;
    });
    chart(historyEl, SERIES, [xs, days.map(function (d) { return d.processed; }), days.map(function (d) { return d.failed; })]);
  }

  // Dashboard numbers and the realtime chart: /stats.json every STATS_MS.
  var stats = document.getElementById('stats');
  if (stats) {
    var src = stats.getAttribute('data-src');
    var realtime = chart(document.getElementById('realtime-chart'), SERIES, [[], [], []]);
    var rt = [[], [], []];
    var last = null;
    var tick = function () {
      if (!visible()) return;
      fetch(src, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (s) {
          if (!s) return;
          var cells = stats.querySelectorAll('[data-stat]');
          for (var i = 0; i < cells.length; i++) {
            var key = cells[i].getAttribute('data-stat');
            if (!(key in s)) continue;
            cells[i].textContent = cells[i].getAttribute('data-format') === 'duration' ? formatDuration(s[key]) : Number(s[key]).toLocaleString('en-US');
          }
          if (last && realtime) {
            rt[0].push(s.at / 1000);
            rt[1].push(Math.max(0, s.processed - last.processed));
            rt[2].push(Math.max(0, s.failed - last.failed));
            if (rt[0].length > REALTIME_POINTS) rt.forEach(function (a) { a.shift(); });
            // one point has no time range: uPlot would span years
            if (rt[0].length >= 2) realtime.setData(rt);
          }
          last = s;
          document.body.setAttribute('data-polled', String(s.at));
        })
        .catch(function () {});
    };
    tick();
    setInterval(tick, STATS_MS);
  }

  // Actor tree: /tree.json every TREE_MS, rebuilt with textContent only.
  var tree = document.getElementById('tree');
  if (tree) {
    var treeSrc = tree.getAttribute('data-src');
    setInterval(function () {
      if (!visible()) return;
      fetch(treeSrc, { credentials: 'same-origin' })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (t) {
          if (!t) return;
          var state = document.querySelector('[data-tree-state]');
          if (state) state.textContent = t.state || '-';
          var items = document.createDocumentFragment();
          (t.actors || []).forEach(function (a) {
            var li = document.createElement('li');
            li.className = 'depth-' + Math.min(a.depth, 8);
            li.setAttribute('data-name', a.name);
            var name = document.createElement('span');
            name.className = 'name';
            name.textContent = a.name;
            var st = document.createElement('span');
            st.className = 'state';
            st.textContent = a.state;
            li.appendChild(name);
            li.appendChild(document.createTextNode(' '));
            li.appendChild(st);
            items.appendChild(li);
          });
          tree.replaceChildren(items);
          document.body.setAttribute('data-polled', String(Date.now()));
        })
        .catch(function () {});
    }, TREE_MS);
  }
})();
