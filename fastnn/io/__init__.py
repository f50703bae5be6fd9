"""Files and exchange formats: the native model format (:mod:`.format`,
:mod:`.persistence`, :mod:`.pipeline_state`), ONNX export (:mod:`.onnx`) and
naming files that are not models (:mod:`.sniff`)."""
