"""Where images become labels, features and vectors, without CLIP weights.

- :mod:`.image_file`: image files to an RGB Pillow image, refusing bad files with named errors.
- :mod:`.adapter`: a learned map from image features into the text space (``mmrag align``).
- :mod:`.state_dict` + :mod:`.onnx_graph` + :mod:`.export`: the EfficientNet-Lite ImageNet
  classifiers, written once from their PyTorch state dicts to ONNX in the cache dir, without
  torch (:mod:`.lite`, in torch, is the tests' reference).
- :mod:`.bridge`: the default image-text adapter shipped in ``data/`` (trained on Flickr8k).
- :mod:`.hierarchy`: concepts over the ImageNet classes by WordNet ("dog" = every breed).
- :mod:`.encoder`: onnxruntime inference: class probabilities and the 1280-d pooled feature.
- :mod:`.classes`: ImageNet-1k names in English and Chinese with WordNet hypernyms.
- :mod:`.ocr`: text in images (RapidOCR, zh + en), optional.
"""

from __future__ import annotations
