// The latency page: a click on a heat map cell shows its blocks. Each
// cell carries its column's start (data-t, seconds), its bucket's bounds
// (data-lo, data-hi, microseconds), its count (data-n), its blocks'
// summed duration (data-us) and their functions (data-f: "F:N,..." with F
// an index in fkFuncs, -1 for no user stack). fkFuncs is set before this
// script.
(function () {
	"use strict";
	var heat = document.getElementById("fk-heat"), status = document.getElementById("fk-status");
	var axis = document.getElementById("fk-axis"), ylabels = document.getElementById("fk-ylabels");
	// Line the labels up with the cells.
	var first = heat.querySelector(".col");
	if (first) {
		var cell = first.firstElementChild, h = cell.getBoundingClientRect().height + 1;
		for (var i = 0; i < ylabels.children.length; i++) {
			ylabels.children[i].style.height = ylabels.children[i].style.lineHeight = h + "px";
		}
		var w = first.getBoundingClientRect().width;
		axis.style.marginLeft = ylabels.getBoundingClientRect().width + "px";
		for (var j = 0; j < axis.children.length; j++) axis.children[j].style.width = w + "px";
	}
	function micros(us) {
		if (us < 1000) return us + " \u00b5s";
		if (us < 1e6) return (us / 1e3).toPrecision(3) + " ms";
		return (us / 1e6).toPrecision(3) + " s";
	}
	var selected = null;
	heat.addEventListener("click", function (e) {
		var c = e.target;
		if (!c.hasAttribute || !c.hasAttribute("data-n")) return;
		if (selected) selected.classList.remove("sel");
		selected = c;
		c.classList.add("sel");
		var n = +c.getAttribute("data-n"), us = +c.getAttribute("data-us");
		var text = c.getAttribute("data-t") + " s: " + n + " blocks of " + c.getAttribute("data-lo") + " -> " + c.getAttribute("data-hi") + " \u00b5s";
		if (n > 0) {
			text += ", " + micros(us) + " off CPU in all (mean " + micros(Math.round(us / n)) + ")";
			var fs = (c.getAttribute("data-f") || "").split(","), names = [];
			for (var k = 0; k < fs.length; k++) {
				var kv = fs[k].split(":");
				if (kv.length !== 2) continue;
				var f = +kv[0];
				names.push((f >= 0 && f < fkFuncs.length ? fkFuncs[f] : "[no user stack]") + " " + kv[1]);
			}
			if (names.length) text += "; " + names.join(", ");
		}
		status.textContent = text;
	});
	document.body.setAttribute("data-ready", "1");
})();
