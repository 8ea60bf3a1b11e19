"""Offline data loading: IDX files, image folders, subsets, splits, tf.data pipelines and augmentation."""

from tfcnn.data.datasets import (
    ImageDataset,
    load_cifar10,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    read_image_folder,
)
from tfcnn.data.idx import read_idx, write_idx
from tfcnn.data.locate import ChecksumError, DataNotFoundError, find_dataset_dir
from tfcnn.data.subsets import (
    balanced_subset,
    stratified_indices,
    stratified_subset,
    train_val_split,
)

__all__ = [
    "ChecksumError",
    "DataNotFoundError",
    "ImageDataset",
    "balanced_subset",
    "find_dataset_dir",
    "load_cifar10",
    "load_dataset",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "read_image_folder",
    "stratified_indices",
    "stratified_subset",
    "train_val_split",
    "write_idx",
]
