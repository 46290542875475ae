"""Adapters: the only modules that import a framework. Each turns a Source into a Backbone."""
