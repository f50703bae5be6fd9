"""Tables as they come: :class:`~.preprocessor.TablePreprocessor` and the
pipeline the command line trains (:func:`~.pipeline.make_table_pipeline`)."""
