// The widget manager (@jupyter-widgets/html-manager 1.x) typesets the math in widget labels (the
// quizzes' questions and choices) with MathJax 2's MathJax.Hub.Queue(["Typeset", MathJax.Hub, el]);
// the site runs MathJax 3, which has no Hub. Forward those calls to MathJax 3's typesetPromise.
// Loaded with defer after MathJax 3, so window.MathJax is MathJax 3's object when this runs.
(function () {
  var mj = window.MathJax;
  if (!mj || mj.Hub || !mj.typesetPromise) {
    return;
  }
  function typeset(element) {
    mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
  }
  mj.Hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
          typeset(job[2]);
        }
      }
    }
  };
})();
