/* kechuang: draws the dashboards' charts with the vendored ECharts (static/vendor/echarts, Apache-2.0).
 *
 * Every <div class="chart" data-src="/api/….json" data-kind="stacked-bar|line|pie|bar"> fetches its
 * JSON from this site (with the session cookie; the endpoint checks the same roles and data scope as
 * the page) and becomes a chart. Clicking a bar, point or slice opens the platforms behind it (the
 * `links` the JSON gives per category, or per series and category). The data table beside each chart
 * holds the same figures for screen readers and printing.
 *
 * Strict CSP: no inline script or style; tooltips are drawn on the canvas (renderMode 'richText'),
 * so ECharts never writes HTML with style attributes.
 */
(function () {
  'use strict';

  var PALETTE = ['#2a6db0', '#1f9d8a', '#e0a526', '#8c5bb8', '#d9653b', '#9aa5b1'];
  var NAMED_COLORS = {
    '优秀': '#1f7a4d', '良好': '#2a6db0', '合格': '#e0a526', '不合格': '#c0392b',
    '财政补助（非自主收入）': '#b8c2cc',
    '已收支平衡': '#1f7a4d', '未收支平衡': '#c0392b', '无收支数据': '#b8c2cc'
  };

  /** A drill-down link from the JSON, only if it is a path on this site. */
  function safeLink(link) {
    return typeof link === 'string' && link.charAt(0) === '/' && link.charAt(1) !== '/' ? link : null;
  }

  function linkOf(spec, seriesIndex, dataIndex) {
    var s = spec.series[seriesIndex] || {};
    return safeLink((s.links || [])[dataIndex]) || safeLink((spec.links || [])[dataIndex]);
  }

  function pieOption(spec, base) {
    var s = spec.series[0] || { name: '', data: [] };
    base.legend = { bottom: 0, type: 'scroll' };
    base.series = [{
      type: 'pie',
      name: s.name,
      radius: ['35%', '62%'],
      center: ['50%', '44%'],
      avoidLabelOverlap: true,
      label: { formatter: '{b}\n{c}（{d}%）' },
      data: spec.categories.map(function (name, i) {
        var item = { name: name, value: s.data[i] };
        if (NAMED_COLORS[name]) item.itemStyle = { color: NAMED_COLORS[name] };
        // A zero slice stays in the legend (and keeps the link indexes) without a label.
        if (!s.data[i]) {
          item.label = { show: false };
          item.labelLine = { show: false };
        }
        return item;
      })
    }];
    return base;
  }

  function cartesianOption(spec, kind, base) {
    // Long labels (jurisdiction names) are turned; short ones (years) stay level.
    var longest = spec.categories.reduce(function (n, c) { return Math.max(n, c.length); }, 0);
    var crowded = spec.categories.length * longest > 36;
    base.xAxis = {
      type: 'category',
      data: spec.categories,
      axisLabel: { interval: 0, rotate: crowded ? 30 : 0, hideOverlap: true }
    };
    base.yAxis = { type: 'value', name: spec.unit, nameTextStyle: { align: 'left' } };
    base.series = spec.series.map(function (s) {
      var one = { name: s.name, type: kind === 'line' ? 'line' : 'bar', data: s.data };
      if (kind === 'stacked-bar' && s.stack) {
        one.stack = s.stack;
        one.emphasis = { focus: 'series' };
      }
      if (kind === 'line') {
        one.symbolSize = 8;
        one.connectNulls = false;
      }
      if (NAMED_COLORS[s.name]) one.itemStyle = { color: NAMED_COLORS[s.name] };
      return one;
    });
    if (spec.series.length < 2) base.legend = { show: false };
    var marks = [];
    if (spec.mark_line) {
      marks.push({
        yAxis: spec.mark_line.value,
        label: { formatter: spec.mark_line.label, position: 'insideEndTop' },
        lineStyle: { color: '#1f7a4d', type: 'dashed', width: 2 }
      });
      var floor = spec.mark_line.value;
      base.yAxis.max = function (v) { return Math.ceil(Math.max(v.max, floor) * 12) / 10; };
    }
    if (spec.mark_category) {
      marks.push({
        xAxis: spec.mark_category.category,
        label: { formatter: spec.mark_category.label, position: 'insideEndTop' },
        lineStyle: { color: '#c0392b', type: 'solid', width: 2 }
      });
    }
    if (marks.length && base.series.length) {
      base.series[0].markLine = { symbol: 'none', silent: true, data: marks };
    }
    return base;
  }

  function option(spec, kind) {
    var base = {
      color: PALETTE,
      animationDuration: 300,
      textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif' },
      tooltip: { trigger: kind === 'pie' ? 'item' : 'axis', renderMode: 'richText', confine: true },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true }
    };
    return kind === 'pie' ? pieOption(spec, base) : cartesianOption(spec, kind, base);
  }

  function failed(el) {
    el.classList.add('chart-failed');
    el.textContent = '图表加载失败，数据见旁边的表格。';
  }

  function render(el) {
    var src = el.getAttribute('data-src');
    if (!safeLink(src) || typeof echarts === 'undefined') {
      failed(el);
      return;
    }
    fetch(src, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (resp) {
        if (!resp.ok) throw new Error('HTTP ' + resp.status);
        return resp.json();
      })
      .then(function (spec) {
        var kind = el.getAttribute('data-kind') || spec.kind;
        // The print view draws at twice the resolution and without animation, for paper.
        var forPrint = !!el.closest('.print-view');
        var chart = echarts.init(el, null, {
          renderer: 'canvas',
          devicePixelRatio: forPrint ? Math.max(2, window.devicePixelRatio || 1) : undefined
        });
        var opts = option(spec, kind);
        if (forPrint) {
          // Paper cannot page through a legend: every entry shown, on as many rows as it takes.
          opts.animation = false;
          if (opts.legend && opts.legend.type === 'scroll') {
            opts.legend.type = 'plain';
            if (kind !== 'pie' && opts.grid && (spec.series || []).length > 4) opts.grid.top = 72;
          }
        }
        chart.setOption(opts);
        chart.on('click', function (p) {
          if (p.componentType !== 'series') return;
          var link = linkOf(spec, p.seriesIndex, p.dataIndex);
          if (link) window.location.assign(link);
        });
        window.addEventListener('resize', function () { chart.resize(); });
        window.addEventListener('beforeprint', function () { chart.resize(); });
        window.addEventListener('afterprint', function () { chart.resize(); });
        el.setAttribute('data-rendered', 'true');
      })
      .catch(function () { failed(el); });
  }

  Array.prototype.forEach.call(document.querySelectorAll('div.chart[data-src]'), render);
})();
