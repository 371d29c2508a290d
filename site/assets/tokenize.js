// The search tokenizer: the SAME file runs at build time (site/search.ts reads it) and in the browser
// (copied to dist/assets/), so the index and the queries always cut text the same way.
// A plain script, no import/export: from file:// browsers refuse ES modules.
//
// Latin text: words of letters and digits; "half-close" gives "half-close", "half" and "close".
// Chinese (and Japanese, Korean): there are no spaces between words, so each run of CJK characters
// is cut by Intl.Segmenter into words ("端口号" → "端口", "号") AND into overlapping pairs of
// characters ("端口", "口号"), so a query matches even where the segmenter cut differently.
/* exported siteTokenize */
var siteTokenize = (function () {
  var segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("zh", { granularity: "word" }) : null;
  var CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/g;
  var WORD = /[\p{L}\p{N}]+(?:[-_.'’][\p{L}\p{N}]+)*/gu;

  function latinWords(text, tokens) {
    var match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text))) {
      var word = match[0];
      tokens.push(word);
      var parts = word.split(/[-_.'’]/);
      if (parts.length > 1) for (var i = 0; i < parts.length; i++) tokens.push(parts[i]);
    }
  }

  function cjkWords(run, tokens) {
    if (segmenter) {
      var segments = segmenter.segment(run);
      for (var segment of segments) if (segment.isWordLike && segment.segment.length > 1) tokens.push(segment.segment);
    }
    if (run.length === 1) tokens.push(run);
    for (var i = 0; i + 1 < run.length; i++) tokens.push(run.slice(i, i + 2));
  }

  return function tokenize(text) {
    var tokens = [];
    var last = 0;
    var match;
    CJK_RUN.lastIndex = 0;
    while ((match = CJK_RUN.exec(text))) {
      latinWords(text.slice(last, match.index), tokens);
      cjkWords(match[0], tokens);
      last = match.index + match[0].length;
    }
    latinWords(text.slice(last), tokens);
    return tokens;
  };
})();
