mod launch;
mod rejections;
mod rotation;
