# Device augmentation path (docs/speed.md): the loader reads the image and draws each
# view's parameters with the CPU transforms' own samplers; the model's data preprocessor
# makes the views for the whole batch on the model's device. Same augmentation law as
# the CPU pipeline (pixels bit-exact on a CPU; tolerances in docs/speed.md).
# Add it after a config's own bases, e.g.
#   _base_ = ['../mocov2/mocov2_resnet50_8xb32-coslr-100e_in1k-ccrop.py',
#             '../_base_/device_augment.py']
# or switch any config from the command line with
#   --cfg-options runner_type=DeviceAugmentRunner
runner_type = 'DeviceAugmentRunner'
device_augment = dict(
    # 'loader': cv2 decodes in the loader (the CPU pipeline's pixels). 'device': the loader
    # only reads the JPEG; torchvision decodes it on the device (nvJPEG on a GPU), the
    # largest saving of loader CPU; on a GPU its pixels may differ slightly (docs/speed.md).
    decode='loader',
    crop_method='auto',  # 'batched' gathers on a GPU, one F.interpolate per image on a CPU
)
