// Date pickers in the user's language (app/core/formatting.py): typed and
// picked as 17/05/1985, the week starting on Monday in French.  FAB starts
// them as yyyy-mm-dd with Sunday first; they are started again here.
$(function () {
  var script = document.querySelector('script[data-date-format]');
  if (!script || !$.fn.datepicker) { return; }
  var options = {
    format: script.getAttribute('data-date-format'),
    weekStart: parseInt(script.getAttribute('data-week-start'), 10) || 0,
    autoclose: true
  };
  $('.appbuilder_date').each(function () {
    $(this).datepicker('destroy');
    $(this).datepicker(options);
  });
});
