"""Kestra's benchmark page (b01-b04) driven through HTTP on kestra-stream's assemblies and on real
Kestra: the parts behind ``bench/http_suite.py``."""
