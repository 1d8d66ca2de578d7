"""What the templates draw from the domain's data: chart geometry (SVG coordinates and the CSS
classes of each series) and Markdown turned into sanitised HTML. No database, no request."""
