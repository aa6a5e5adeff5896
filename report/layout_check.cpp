// SPDX-License-Identifier: Apache-2.0
#include "report/layout_check.h"

namespace hpusim::report {

const std::string& layout_check_script() {
  static const std::string kScript = R"(<script>
(function () {
  var charts = document.querySelectorAll('svg.chart'), rendered = 0, outside = 0, overlapping = 0, missing = 0;
  var mismatched = 0, meaning = {};  // a legend swatch unlike its shapes; colour -> the kinds drawn in it
  function paint(e) { return e.tagName === 'polyline' ? getComputedStyle(e).stroke : getComputedStyle(e).fill; }
  var problems = [], swatches = [];
  function note(p) { if (problems.length < 12) problems.push(p); }
  function caption(s) { var f = s.closest('figure'); var c = f && f.querySelector('figcaption'); return c ? c.textContent : '?'; }
  charts.forEach(function (s) {
    var box = s.getBoundingClientRect();
    var shapes = s.querySelectorAll('rect.span, rect.bar, polyline.line');
    if (box.width > 0 && box.height > 0 && shapes.length > 0) { s.setAttribute('data-rendered', 'yes'); rendered++; }
    var texts = Array.prototype.slice.call(s.querySelectorAll('text')), boxes = texts.map(function (t) { return t.getBoundingClientRect(); });
    boxes.forEach(function (r, i) {
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        outside++; note('outside its chart: "' + texts[i].textContent + '" in "' + caption(s) + '"');
      }
      for (var j = i + 1; j < boxes.length; j++) {
        var q = boxes[j];
        var w = Math.min(r.right, q.right) - Math.max(r.left, q.left), h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
        if (w > 1 && h > 1) { overlapping++; note('overlap: "' + texts[i].textContent + '" and "' + texts[j].textContent + '" in "' + caption(s) + '"'); }
      }
    });
    var legend = {};
    s.querySelectorAll('[data-legend]').forEach(function (g) {
      var w = g.querySelector('rect.swatch');
      legend[g.getAttribute('data-legend')] = w ? getComputedStyle(w).fill : '';
    });
    var seen = {};
    shapes.forEach(function (e) {
      var k = e.getAttribute('data-kind'), c = paint(e);
      if (k === null) return;
      (meaning[c] = meaning[c] || {})[k] = true;
      if (!(k in legend)) {
        if (!seen[k]) { seen[k] = true; missing++; note('not in the legend: "' + k + '" in "' + caption(s) + '"'); }
      } else if (legend[k] !== c && !seen[k]) {
        seen[k] = true; mismatched++; note('legend colour of "' + k + '" is ' + legend[k] + ', its shapes ' + c + ' in "' + caption(s) + '"');
      }
    });
    s.querySelectorAll('rect.swatch').forEach(function (w) {
      var r = w.getBoundingClientRect();
      swatches.push({x: Math.round(r.left + r.width / 2 + window.scrollX), y: Math.round(r.top + r.height / 2 + window.scrollY),
                     fill: getComputedStyle(w).fill, legend: w.parentNode.getAttribute('data-legend')});
    });
  });
  var shared = 0;
  Object.keys(meaning).forEach(function (c) {
    var kinds = Object.keys(meaning[c]);
    if (kinds.length > 1) { shared++; note('one colour, ' + kinds.length + ' meanings: ' + c + ' for ' + kinds.join(', ')); }
  });
  var b = document.body, overflow = document.documentElement.scrollWidth > window.innerWidth + 1 ? 1 : 0;
  if (overflow) note('the page is ' + document.documentElement.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  b.setAttribute('data-charts', String(charts.length));
  b.setAttribute('data-charts-rendered', String(rendered));
  b.setAttribute('data-labels-outside', String(outside));
  b.setAttribute('data-labels-overlapping', String(overlapping));
  b.setAttribute('data-legend-missing', String(missing));
  b.setAttribute('data-legend-colour-mismatch', String(mismatched));
  b.setAttribute('data-colours-shared', String(shared));
  b.setAttribute('data-page-overflow', String(overflow));
  b.setAttribute('data-page-height', String(Math.ceil(document.documentElement.scrollHeight)));
  b.setAttribute('data-problems', JSON.stringify(problems));
  b.setAttribute('data-swatches', JSON.stringify(swatches));
})();
</script>)";
  return kScript;
}

}  // namespace hpusim::report
