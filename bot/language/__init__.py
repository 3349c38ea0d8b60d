"""Languages: the gettext catalogs, German date formatting and the plain-language checker."""
