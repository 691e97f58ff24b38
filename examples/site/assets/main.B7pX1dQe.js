// Marks the current page in the navigation; the site works without it.
document.querySelectorAll('nav a').forEach(function (link) {
  if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
});
